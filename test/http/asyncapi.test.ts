// GET /api/asyncapi.json (PROTOCOL.md, operating contract): the AsyncAPI 3 document of the socket
// events, generated from the catalogue (src/protocol/socket-events.ts). Checked against the
// catalogue itself, so an event added there and missing here (or the other way) fails.
import { expect } from "chai";
import { z } from "zod";
import { CLIENT_EVENT_CATALOGUE, SERVER_EVENT_CATALOGUE } from "../../src/protocol/socket-events.js";
import { Api } from "../helpers/api.js";
import { startTestNode, type TestNode } from "../helpers/nodes.js";
import { NODE_START_TIMEOUT_MS } from "./expect.js";

type Json = any;

/** Follows a local JSON pointer ("#/a/b") through the document; undefined when it leads nowhere. */
function resolve(doc: Json, pointer: string): Json {
  expect(pointer, "a local reference").to.match(/^#\//);
  return pointer
    .slice(2)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((at: Json, part) => (at === undefined ? undefined : at[part]), doc);
}

/** Every `$ref` anywhere in the value. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

const deref = (doc: Json, value: Json): Json => (value && typeof value.$ref === "string" ? deref(doc, resolve(doc, value.$ref)) : value);

describe("GET /api/asyncapi.json: the socket events as AsyncAPI 3", function () {
  let node: TestNode;
  let doc: Json;
  const operations = () => Object.values(doc.operations) as Json[];
  /** The operation of one event and direction (receive: client to server; send: server to client). */
  const operationOf = (event: string, action: "send" | "receive") => {
    const found = operations().filter((op) => op.action === action && deref(doc, op.channel)?.address === event);
    expect(found, `one ${action} operation for ${event}`).to.have.length(1);
    return found[0];
  };
  const messagesOf = (refs: Json[]) => refs.map((r) => deref(doc, r));

  before(async function () {
    this.timeout(NODE_START_TIMEOUT_MS);
    node = await startTestNode();
    const res = await new Api(node.url).get("/api/asyncapi.json");
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type") ?? "").to.match(/^application\/json/);
    doc = res.body;
  });
  after(async () => node?.stop());

  it("is AsyncAPI 3.0.0 shaped: info, channels with addresses, operations with actions, components", () => {
    expect(doc.asyncapi).to.equal("3.0.0");
    expect(doc.info).to.include.keys("title", "version");
    expect(doc.channels).to.be.an("object").that.is.not.empty;
    expect(doc.operations).to.be.an("object").that.is.not.empty;
    for (const [id, channel] of Object.entries<Json>(doc.channels)) {
      expect(id, "channel key").to.match(/^[\w.-]+$/);
      expect(channel.address, `channel ${id} address`).to.be.a("string");
      expect(channel.messages, `channel ${id} messages`).to.be.an("object").that.is.not.empty;
    }
    for (const [id, op] of Object.entries<Json>(doc.operations)) {
      expect(id, "operation key").to.match(/^[\w.-]+$/);
      expect(op.action, `operation ${id}`).to.be.oneOf(["send", "receive"]);
      expect(op.channel.$ref, `operation ${id} channel`).to.match(/^#\/channels\//);
      // AsyncAPI 3: an operation's messages are messages of its channel.
      for (const m of op.messages) expect(m.$ref, `operation ${id} message`).to.match(new RegExp(`^${op.channel.$ref}/messages/`));
    }
  });

  it("resolves every $ref it holds", () => {
    const broken = refsIn(doc).filter((r) => resolve(doc, r) === undefined);
    expect(broken, "references that lead nowhere").to.deep.equal([]);
  });

  it("has every client event of the catalogue, received with its payload and answered with its ack", () => {
    for (const [event, spec] of Object.entries(CLIENT_EVENT_CATALOGUE)) {
      const op = operationOf(event, "receive");
      expect(op.summary, `${event} summary`).to.equal(spec.summary);
      const [payload] = messagesOf(op.messages);
      expect(payload?.name, `${event} payload message`).to.equal(event);
      // The payload schema is the one handlers parse with, as a client may send it.
      expect(payload.payload, `${event} payload schema`).to.deep.equal(asComponent(z.toJSONSchema(spec.payload, { target: "draft-7", io: "input", unrepresentable: "any" })));
      expect(op.reply, `${event} reply (the ack)`).to.be.an("object");
      const [ack] = messagesOf(op.reply.messages);
      const variants = (ack?.payload?.oneOf ?? []).map((v: Json) => deref(doc, v));
      expect(variants, `${event} ack: success or error`).to.have.length(2);
      const [success, failure] = variants;
      expect(success.properties.ok, `${event} success ack`).to.deep.include({ const: true });
      expect(success.required).to.include("ok");
      const ackFields = Object.keys((spec.ack as z.ZodObject).shape);
      expect(Object.keys(success.properties).sort(), `${event} ack fields`).to.deep.equal(["ok", ...ackFields].sort());
      expect(failure.properties.ok).to.deep.include({ const: false });
      expect(deref(doc, failure.properties.error).properties).to.include.keys("code", "message");
    }
  });

  it("has every server event of the catalogue, sent with its payload", () => {
    for (const [event, spec] of Object.entries(SERVER_EVENT_CATALOGUE)) {
      const op = operationOf(event, "send");
      expect(op.summary, `${event} summary`).to.equal(spec.summary);
      const [message] = messagesOf(op.messages);
      expect(message?.name, `${event} message`).to.equal(event);
      const schema = deref(doc, message.payload);
      expect(schema, `${event} payload schema`).to.be.an("object").that.is.not.empty;
      expect(schema.type ?? schema.oneOf ?? schema.anyOf, `${event} payload is a typed schema`).to.not.equal(undefined);
    }
  });

  it("describes no event the catalogue does not hold", () => {
    const received = operations().filter((op) => op.action === "receive").map((op) => deref(doc, op.channel).address);
    const sent = operations().filter((op) => op.action === "send").map((op) => deref(doc, op.channel).address);
    expect(received.sort()).to.deep.equal(Object.keys(CLIENT_EVENT_CATALOGUE).sort());
    expect(sent.sort()).to.deep.equal(Object.keys(SERVER_EVENT_CATALOGUE).sort());
  });
});

/** zod's JSON Schema of a payload as the document holds it: shared definitions live in components. */
function asComponent(schema: object): object {
  const { $schema: _dialect, definitions: _shared, ...rest } = schema as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest).replaceAll('"#/definitions/', '"#/components/schemas/'));
}
