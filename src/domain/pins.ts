/**
 * Pins (PROTOCOL.md, "Conversations"): in a group, the owner and admins (room-admin.ts) pin and
 * unpin; in a direct room, either member. A pin leaves a system message in the room, so
 * members who were away see who pinned what.
 */
import { Forbidden, NotFound } from "./errors.js";
import type { Message } from "./message.js";
import { changeMessage, type MessageDeps } from "./messages.js";
import { withReplyExcerpts } from "./replies.js";
import { requireMember } from "./rooms.js";

const PINNING_ROLES = new Set(["owner", "admin"]);

async function requirePinner(deps: MessageDeps, userId: string, roomId: string): Promise<void> {
  const [room, membership] = await Promise.all([deps.rooms.find(roomId), deps.rooms.membership(roomId, userId)]);
  if (!room || !membership) throw new NotFound("no such room");
  if (room.type === "group" && !PINNING_ROLES.has(membership.role)) throw new Forbidden("only the room's owner and admins can pin messages");
}

export async function pin(deps: MessageDeps, userId: string, input: { roomId: string; seq: number }, pinned: boolean): Promise<Message> {
  const { roomId, seq } = input;
  await requirePinner(deps, userId, roomId);
  const { message, changed } = await changeMessage(deps, roomId, seq, { kind: "pin", userId, pinned }, userId);
  if (changed && pinned) {
    const { message: notice, created } = await deps.messages.append(
      { roomId, senderId: userId, type: "system", text: `pinned message ${seq}`, attachments: [], clientMsgId: null, replyToSeq: seq },
      new Date(),
    );
    if (created) {
      deps.onMessageStored?.(notice);
      // The pinner has read their own notice, as a sender has read their message.
      deps.receipts.readOwn(deps.rooms, roomId, userId, notice.seq);
      deps.broadcaster.toRoom(roomId, "message:new", { ...notice, replyTo: (await withReplyExcerpts(deps, roomId, [notice]))[0]!.replyTo! });
      await deps.feed.roomChanged(roomId, await deps.rooms.memberIds(roomId));
    }
  }
  return message;
}

export async function listPins(deps: MessageDeps, userId: string, roomId: string): Promise<Message[]> {
  await requireMember(deps, roomId, userId);
  return withReplyExcerpts(deps, roomId, await deps.messages.pinned(roomId, userId));
}
