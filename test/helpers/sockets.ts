import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "../../src/realtime/events.js";

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const ACK_TIMEOUT_MS = 5_000;

/** Connects and resolves on `connect` (or rejects with the connect_error message). */
export function connectSocket(url: string, token: string, opts: { transports?: ("websocket" | "polling")[] } = {}): Promise<ClientSocket> {
  const socket: ClientSocket = io(url, {
    auth: { token },
    transports: opts.transports ?? ["websocket"],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits and resolves with the ack (any shape). */
export function emitAck<T = any>(socket: ClientSocket, event: string, payload?: unknown): Promise<T> {
  return (socket as unknown as Socket).timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload) as Promise<T>;
}

/** Collects every payload of one event into an array, for later assertions. */
export function collect<T = any>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  (socket as unknown as Socket).on(event, (payload: T) => seen.push(payload));
  return seen;
}

/** Resolves with the first payload of `event` that matches. */
export function nextEvent<T = any>(socket: ClientSocket, event: string, match: (payload: T) => boolean = () => true, timeoutMs = 5_000): Promise<T> {
  const s = socket as unknown as Socket;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      s.off(event, on);
      resolve(payload);
    };
    s.on(event, on);
  });
}
