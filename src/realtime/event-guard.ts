import { RateLimited } from "../domain/errors.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { Logger } from "../logger.js";
import type { AckError } from "../protocol/errors.js";
import { ackOf } from "./ack.js";
import type { ChatSocket } from "./deps.js";

/**
 * Runs before every handler of a socket (Socket.IO middleware), for every event it receives:
 * - an event nobody registered is answered at once with NOT_FOUND "unknown event" when it
 *   carries an ack, instead of leaving the client to its own timeout (a typo, a newer client);
 * - every event but those with a limit of their own (`exempt`: message:send spends the send
 *   burst in its handler) spends one point of a per-socket, per-event limit; past it the event
 *   is answered RATE_LIMITED and never reaches its handler.
 */
export function guardEvents(socket: ChatSocket, deps: { socketEvents: RateLimiter; exempt: ReadonlySet<string>; log: Logger }) {
  socket.use((packet, next) => {
    const [event, ...args] = packet as unknown as [string, ...unknown[]];
    // Built only for a refusal: the event that passes (every message:send) pays nothing for it.
    const refuse = (code: string, message: string) => ackOf<AckError>(args, deps.log, String(event)).reply({ ok: false, error: { code, message } });
    // listenerCount, not listeners(): no array copied for every event a socket sends.
    if (typeof event !== "string" || socket.listenerCount(event as never) === 0) return refuse("NOT_FOUND", "unknown event");
    if (deps.exempt.has(event)) return next();
    deps.socketEvents.consume(`${socket.id}:${event}`).then(
      () => next(),
      (err: unknown) => {
        if (err instanceof RateLimited) return refuse("RATE_LIMITED", err.message);
        // The limiter itself failing must not take the event down with it.
        deps.log.warn({ err, event }, "socket event limiter failed");
        next();
      },
    );
  });
}
