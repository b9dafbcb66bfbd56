import { seqOf, type MessageDeps } from "../domain/messages.js";
import { react } from "../domain/reactions.js";
import { acked, type AckDeps } from "./ack.js";
import type { ChatSocket } from "./deps.js";

/** reaction:add / reaction:remove: the same use case as PUT / DELETE …/reactions/:emoji (src/protocol/reactions.ts). */
export function register(socket: ChatSocket, deps: MessageDeps & AckDeps) {
  const userId = socket.data.userId;

  socket.on(
    "reaction:add",
    acked(socket, deps, "reaction:add", async ({ roomId, messageId, emoji }) => ({
      message: await react(deps, userId, { roomId, seq: seqOf(roomId, messageId), emoji }, true),
    })),
  );

  socket.on(
    "reaction:remove",
    acked(socket, deps, "reaction:remove", async ({ roomId, messageId, emoji }) => ({
      message: await react(deps, userId, { roomId, seq: seqOf(roomId, messageId), emoji }, false),
    })),
  );
}
