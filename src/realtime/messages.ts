import { deleteMessage, editMessage, sendMessage, syncRooms } from "../domain/messages.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";

/** message:send / edit / delete and sync: the same use cases as the HTTP routes, the same schemas (src/protocol/messages.ts). */
export function register(socket: ChatSocket, deps: RealtimeDeps) {
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
}
