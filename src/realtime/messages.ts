import { deleteMessage, editMessage, sendMessage, type MessageDeps } from "../domain/messages.js";
import { syncRooms } from "../domain/timeline.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import { acked, type AckDeps } from "./ack.js";
import type { ChatSocket } from "./deps.js";

export interface MessageGroupDeps extends MessageDeps, AckDeps {
  /** Keyed by socket id: a burst allowance per connection, spent by message:send alone. */
  socketSends: RateLimiter;
}

/** message:send / edit / delete and sync: the same use cases as the HTTP routes, the same schemas (src/protocol/messages.ts). */
export function register(socket: ChatSocket, deps: MessageGroupDeps) {
  const userId = socket.data.userId;

  socket.on(
    "message:send",
    acked(socket, deps, "message:send", async (input) => {
      await deps.socketSends.consume(socket.id);
      const { message } = await sendMessage(deps, userId, input);
      return { message };
    }),
  );

  socket.on(
    "message:edit",
    acked(socket, deps, "message:edit", async (input) => ({
      message: await editMessage(deps, userId, input),
    })),
  );

  socket.on(
    "message:delete",
    acked(socket, deps, "message:delete", async (input) => {
      await deleteMessage(deps, userId, input);
      return {};
    }),
  );

  socket.on(
    "sync",
    acked(socket, deps, "sync", async ({ rooms }) => ({
      rooms: await syncRooms(deps, userId, rooms),
    })),
  );

  socket.on("disconnect", () => void deps.socketSends.reset(socket.id));
}
