/**
 * The AsyncAPI 3.0 document of the socket events (served at GET /api/asyncapi.json), generated
 * from the catalogue (socket-events.ts) with zod's own JSON Schema output, so it describes exactly
 * what the handlers parse and the types check.
 *
 * The document describes the server: it receives each client event (an operation with a reply,
 * the ack) and sends each server event. One channel per event name; an event that travels both
 * ways (typing, call:signal) has one channel holding both messages. Schemas that carry an id
 * (`.meta({ id })`: Message, Room …) are shared under components.schemas, as in the OpenAPI document.
 */
import { z } from "zod";
import { AckErrorSchema } from "./errors.js";
import { CLIENT_EVENT_CATALOGUE, SERVER_EVENT_CATALOGUE } from "./socket-events.js";

type Json = Record<string, unknown>;

const ref = ($ref: string) => ({ $ref });
/** Channel, operation and component keys allow letters, digits, `.`, `-` and `_` only. */
const keyOf = (event: string) => event.replaceAll(":", ".");

/** The value with every `#/definitions/<id>` reference pointed at components.schemas (renamed as `name` says). */
function pointRefs(value: unknown, name: (id: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => pointRefs(v, name));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === "$ref" && typeof v === "string" && v.startsWith("#/definitions/") ? [k, `#/components/schemas/${name(v.slice("#/definitions/".length))}`] : [k, pointRefs(v, name)],
    ),
  );
}

/** Lifts the schemas zod emits as `definitions` into components.schemas, renaming on a clash. */
class SchemaComponents {
  readonly schemas: Record<string, Json> = {};

  add(schema: z.ZodType, io: "input" | "output"): Json {
    const { $schema: _dialect, definitions = {}, ...root } = z.toJSONSchema(schema, { target: "draft-7", io, unrepresentable: "any" }) as Json & {
      definitions?: Record<string, Json>;
    };
    const renamed = new Map<string, string>();
    for (const [id, def] of Object.entries(definitions)) {
      // The same id seen as input and as output may differ (defaults): the second gets a suffix.
      const known = this.schemas[id];
      const clash = known !== undefined && JSON.stringify(known) !== JSON.stringify(pointRefs(def, (i) => i));
      renamed.set(id, clash ? `${id}.${io}` : id);
    }
    const name = (id: string) => renamed.get(id) ?? id;
    for (const [id, def] of Object.entries(definitions)) this.schemas[name(id)] ??= pointRefs(def, name) as Json;
    return pointRefs(root, name) as Json;
  }
}

/** `{ ok: true, ...ack }`: the ack's own object schema with `ok` added. */
function successOf(ack: Json): Json {
  const properties = { ok: { type: "boolean", const: true }, ...((ack.properties as Json | undefined) ?? {}) };
  const required = ["ok", ...((ack.required as string[] | undefined) ?? [])];
  return { ...ack, type: "object", properties, required };
}

function build(): Json {
  const components = new SchemaComponents();
  const channels: Record<string, Json> = {};
  const operations: Record<string, Json> = {};
  const messages: Record<string, Json> = {};
  const channelOf = (event: string) => (channels[keyOf(event)] ??= { address: event, messages: {} }) as { messages: Record<string, Json> };

  const ackError = components.add(AckErrorSchema, "output");
  for (const [event, spec] of Object.entries(CLIENT_EVENT_CATALOGUE)) {
    const key = keyOf(event);
    messages[`${key}.payload`] = { name: event, title: `${event} payload`, summary: spec.summary, payload: components.add(spec.payload, "input") };
    messages[`${key}.ack`] = {
      name: `${event} ack`,
      title: `${event} acknowledgement`,
      summary: "The acknowledgement callback's argument: success with the fields below, or the coded error",
      payload: { oneOf: [successOf(components.add(spec.ack, "output")), ackError] },
    };
    const channel = channelOf(event);
    channel.messages.payload = ref(`#/components/messages/${key}.payload`);
    channel.messages.ack = ref(`#/components/messages/${key}.ack`);
    operations[`receive.${key}`] = {
      action: "receive",
      channel: ref(`#/channels/${key}`),
      summary: spec.summary,
      messages: [ref(`#/channels/${key}/messages/payload`)],
      reply: { channel: ref(`#/channels/${key}`), messages: [ref(`#/channels/${key}/messages/ack`)] },
    };
  }
  for (const [event, spec] of Object.entries(SERVER_EVENT_CATALOGUE)) {
    const key = keyOf(event);
    messages[`${key}.broadcast`] = { name: event, title: `${event} (server to client)`, summary: spec.summary, payload: components.add(spec.payload, "output") };
    channelOf(event).messages.broadcast = ref(`#/components/messages/${key}.broadcast`);
    operations[`send.${key}`] = {
      action: "send",
      channel: ref(`#/channels/${key}`),
      summary: spec.summary,
      messages: [ref(`#/channels/${key}/messages/broadcast`)],
    };
  }

  return {
    asyncapi: "3.0.0",
    info: {
      title: "Chat backend socket events",
      version: "0.1.0",
      description:
        "Socket.IO at path /socket.io, default namespace; handshake `auth: { token: accessToken }`, or a bot's `auth: { botToken }` (docs/integrations.md) (a refused token is a connect_error `unauthorized`). " +
        "Every client event takes an acknowledgement callback. See shared/PROTOCOL.md for ordering and delivery guarantees.",
    },
    defaultContentType: "application/json",
    channels,
    operations,
    components: { messages, schemas: components.schemas },
  };
}

let built: Json | undefined;

/** Built once per process: the catalogue is fixed at start-up. */
export function asyncApiDocument(): Json {
  return (built ??= build());
}
