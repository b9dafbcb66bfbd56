/**
 * The Socket.IO event maps, derived from the catalogue (socket-events.ts) and never written by hand:
 * passed to `Server`/`Socket` generics they type `on`, `emit`, `to().emit` and every ack, on the
 * server, in the tests and in the browser client. Types are not validation: handlers parse each
 * payload with the catalogue's schema (realtime/ack.ts).
 */
import type { z } from "zod";
import type { AckError } from "./errors.js";
import type { CLIENT_EVENT_CATALOGUE, SERVER_EVENT_CATALOGUE } from "./socket-events.js";

type ClientCatalogue = typeof CLIENT_EVENT_CATALOGUE;
type ServerCatalogue = typeof SERVER_EVENT_CATALOGUE;

export type ClientEvent = keyof ClientCatalogue;
export type ServerEvent = keyof ServerCatalogue;

/** What a client may send (defaults not yet applied: e.g. message:send's `text` may be left out). */
export type ClientPayload<E extends ClientEvent> = z.input<ClientCatalogue[E]["payload"]>;
/** What a handler gets once the payload is parsed. */
export type ClientInput<E extends ClientEvent> = z.output<ClientCatalogue[E]["payload"]>;
/** What a handler returns: the success ack's fields besides `ok`. */
export type AckResult<E extends ClientEvent> = z.output<ClientCatalogue[E]["ack"]>;
export type AckReply<E extends ClientEvent> = ({ ok: true } & AckResult<E>) | AckError;
export type ServerPayload<E extends ServerEvent> = z.output<ServerCatalogue[E]["payload"]>;

export type ClientToServerEvents = { [E in ClientEvent]: (payload: ClientPayload<E>, ack: (reply: AckReply<E>) => void) => void };
export type ServerToClientEvents = { [E in ServerEvent]: (payload: ServerPayload<E>) => void };
/** Nodes talk through the cluster bus (store/cluster-bus.ts), never Socket.IO's serverSideEmit. */
export type InterServerEvents = Record<string, never>;

/** Set by the handshake (realtime/server.ts) before any handler runs. */
export interface SocketData {
  userId: string;
  sessionId: string;
}
