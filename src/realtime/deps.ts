import type { MessageDeps } from "../domain/messages.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { Server, Socket } from "socket.io";
import type { AckBudget } from "./ack-budget.js";
import type { AckDeps } from "./ack.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "./events.js";

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What every handler group's acks need (realtime/ack.ts): the chat groups, calls, media, presence. */
export type GroupDeps = Pick<AckDeps, "log" | "inflight" | "classify" | "checkReplies">;

export interface RealtimeDeps extends MessageDeps, AckDeps {
  /** Chat handlers running at once on this node; past it, UNAVAILABLE. */
  ackBudget: AckBudget;
  /** Keyed by socket id: a burst allowance per connection. */
  socketSends: RateLimiter;
  /** Online status of users, across nodes. */
  isOnline(userIds: string[]): Promise<Set<string>>;
}
