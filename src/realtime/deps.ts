import type { Server, Socket } from "socket.io";
import type { AckDeps } from "./ack.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "./events.js";

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** One feature's handler group: registers its events on each new socket (the composition root lists them). */
export type SocketGroup = (socket: ChatSocket) => void;

/** What a handler group's acks need (realtime/ack.ts) when they are not held to the chat ack budget: calls, media, presence. */
export type GroupDeps = Pick<AckDeps, "log" | "inflight" | "classify" | "checkReplies">;
