import { z } from "zod";
import { deleteMessage, editMessage, sendMessage, syncRooms } from "../domain/messages.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";
import { ClientMsgId, MessageId, MessageText, RoomId, Seq } from "../protocol/fields.js";

const SendPayload = z.strictObject({
  roomId: RoomId,
  clientMsgId: ClientMsgId,
  text: MessageText.default(""),
  attachmentIds: z.array(z.string().min(1).max(64)).max(10).optional(),
});

// Built once per module, not per socket: each schema instance costs kilobytes of heap.
const EditPayload = z.strictObject({ roomId: RoomId, messageId: MessageId, text: MessageText });
const DeletePayload = z.strictObject({ roomId: RoomId, messageId: MessageId });
const SyncPayload = z.strictObject({ rooms: z.record(RoomId, Seq) });

/** message:send / edit / delete and sync: the same use cases as the HTTP routes. */
export function register(socket: ChatSocket, deps: RealtimeDeps) {
  const userId = socket.data.userId;

  socket.on(
    "message:send",
    acked(socket, deps, "message:send", SendPayload, async (input) => {
      await deps.socketSends.consume(socket.id);
      const { message } = await sendMessage(deps, userId, input);
      return { message };
    }),
  );

  socket.on(
    "message:edit",
    acked(socket, deps, "message:edit", EditPayload, async (input) => ({
      message: await editMessage(deps, userId, input),
    })),
  );

  socket.on(
    "message:delete",
    acked(socket, deps, "message:delete", DeletePayload, async (input) => {
      await deleteMessage(deps, userId, input);
      return {};
    }),
  );

  socket.on(
    "sync",
    acked(socket, deps, "sync", SyncPayload, async ({ rooms }) => ({
      rooms: await syncRooms(deps, userId, rooms),
    })),
  );
}
