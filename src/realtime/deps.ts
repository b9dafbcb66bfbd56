import type { FailureClassifier } from "../domain/errors.js";
import type { MessageDeps } from "../domain/messages.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { Logger } from "../logger.js";
import type { Server, Socket } from "socket.io";
import type { AckBudget } from "./ack-budget.js";
import type { Inflight } from "./inflight.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "./events.js";

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export interface RealtimeDeps extends MessageDeps {
  log: Logger;
  inflight: Inflight;
  /** Chat handlers running at once on this node; past it, UNAVAILABLE. */
  ackBudget: AckBudget;
  /** Keyed by socket id: a burst allowance per connection. */
  socketSends: RateLimiter;
  /** Tells a dependency outage (UNAVAILABLE) from a bug (INTERNAL) in acks. */
  classify?: FailureClassifier;
  /** Online status of users, across nodes. */
  isOnline(userIds: string[]): Promise<Set<string>>;
}
