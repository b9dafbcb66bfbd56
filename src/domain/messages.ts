import { Conflict, Forbidden, Invalid, NotFound } from "./errors.js";
import { seqOfMessageId, type AttachmentRef, type Message } from "./message.js";
import type { MessagePage } from "./ports/message-store.js";
import { requireMember, type RoomDeps } from "./rooms.js";
import { MESSAGE_TEXT_MAX, PAGE_LIMIT_MAX, SYNC_ROOMS_MAX } from "../protocol/limits.js";

// Wire limits are the contract's (src/protocol/limits.ts): re-exported for the callers that read them here.
export { MESSAGE_TEXT_MAX, PAGE_LIMIT_MAX, SYNC_ROOMS_MAX };

/** Fills in attachment metadata for ids the sender uploaded to this room (the files feature plugs in here). */
export interface AttachmentResolver {
  resolve(roomId: string, senderId: string, ids: string[]): Promise<AttachmentRef[]>;
}

export interface MessageDeps extends RoomDeps {
  attachments?: AttachmentResolver;
  /** Called once per newly stored message (metrics, push, search indexing). */
  onMessageStored?: (message: Message) => void;
  /** Called after each edit and delete with the message as it now is (search indexing). */
  onMessageChanged?: (message: Message) => void;
}

function checkText(text: string, allowEmpty: boolean) {
  if (text.length > MESSAGE_TEXT_MAX) throw new Invalid(`text is over ${MESSAGE_TEXT_MAX} characters`, [{ path: "text", message: "too long" }]);
  if (!allowEmpty && text.trim() === "") throw new Invalid("text is empty", [{ path: "text", message: "is empty" }]);
}

/**
 * The one send path for both doors. Resolves after the message is durable; a repeated
 * clientMsgId returns the original and broadcasts nothing (PROTOCOL guarantee 4).
 */
export async function sendMessage(
  deps: MessageDeps,
  senderId: string,
  input: { roomId: string; clientMsgId: string; text: string; attachmentIds?: string[] },
): Promise<{ message: Message; created: boolean }> {
  const { roomId } = input;
  await requireMember(deps, roomId, senderId);
  const attachmentIds = input.attachmentIds ?? [];
  checkText(input.text, attachmentIds.length > 0);
  let attachments: AttachmentRef[] = [];
  if (attachmentIds.length) {
    if (!deps.attachments) throw new Invalid("attachments are not supported here", [{ path: "attachmentIds", message: "unsupported" }]);
    attachments = await deps.attachments.resolve(roomId, senderId, attachmentIds);
  }
  const { message, created } = await deps.messages.append(
    { roomId, senderId, type: attachments.length ? "file" : "text", text: input.text, attachments, clientMsgId: input.clientMsgId },
    new Date(),
  );
  if (!created) return { message, created };
  deps.onMessageStored?.(message);
  deps.broadcaster.toRoom(roomId, "message:new", message);
  // The sender has read what they wrote. The cursor is written behind in batches (one statement
  // per window for all senders). No receipt:updated goes out for it: message:new already tells
  // every joined socket that the sender's cursor is at least this seq, and a second event per
  // message and receiver doubled the socket writes (40% of a node's CPU at 2,000 messages/s).
  deps.rooms.advanceReadLater(roomId, senderId, message.seq);
  await deps.feed.roomChanged(roomId, await deps.rooms.memberIds(roomId));
  return { message, created };
}

export async function listMessages(
  deps: MessageDeps,
  userId: string,
  roomId: string,
  query: { before?: number; after?: number; limit: number },
): Promise<MessagePage> {
  await requireMember(deps, roomId, userId);
  if (query.before !== undefined && query.after !== undefined) {
    throw new Invalid("use either before or after", [{ path: "after", message: "cannot be combined with before" }]);
  }
  return deps.messages.page(roomId, { ...query, limit: Math.min(query.limit, PAGE_LIMIT_MAX) });
}

async function ownMessage(deps: MessageDeps, userId: string, roomId: string, messageId: string): Promise<{ seq: number; message: Message }> {
  await requireMember(deps, roomId, userId);
  const seq = seqOfMessageId(roomId, messageId);
  const message = seq === null ? null : await deps.messages.get(roomId, seq);
  if (!message || seq === null) throw new NotFound("no such message in this room");
  if (message.senderId !== userId) throw new Forbidden("only the sender can change a message");
  if (message.deletedAt) throw new Conflict("message was deleted");
  return { seq, message };
}

export async function editMessage(deps: MessageDeps, userId: string, input: { roomId: string; messageId: string; text: string }): Promise<Message> {
  checkText(input.text, false);
  const { seq } = await ownMessage(deps, userId, input.roomId, input.messageId);
  const result = await deps.messages.change(input.roomId, seq, { kind: "edit", text: input.text }, new Date());
  if (!result) throw new NotFound("no such message in this room");
  const edited = result.message;
  deps.onMessageChanged?.(edited);
  deps.broadcaster.toRoom(input.roomId, "message:updated", edited);
  await deps.feed.roomChanged(input.roomId, await deps.rooms.memberIds(input.roomId));
  return edited;
}

export async function deleteMessage(deps: MessageDeps, userId: string, input: { roomId: string; messageId: string }): Promise<Message> {
  const { seq } = await ownMessage(deps, userId, input.roomId, input.messageId);
  const result = await deps.messages.change(input.roomId, seq, { kind: "delete" }, new Date());
  if (!result) throw new NotFound("no such message in this room");
  const deleted = result.message;
  deps.onMessageChanged?.(deleted);
  deps.broadcaster.toRoom(input.roomId, "message:updated", deleted);
  await deps.feed.roomChanged(input.roomId, await deps.rooms.memberIds(input.roomId));
  return deleted;
}

export type SyncResult = Record<string, MessagePage | (MessagePage & { error: { code: string; message: string } })>;

/** After a reconnect: for each room, exactly the messages after the client's last seen seq. */
export async function syncRooms(deps: MessageDeps, userId: string, rooms: Record<string, number>, limit = PAGE_LIMIT_MAX): Promise<SyncResult> {
  const entries = Object.entries(rooms);
  if (entries.length > SYNC_ROOMS_MAX) throw new Invalid(`at most ${SYNC_ROOMS_MAX} rooms per sync`, [{ path: "rooms", message: "too many" }]);
  const memberOf = new Set((await deps.rooms.roomsOf(userId)).map((r) => r.room.id));
  const out: SyncResult = {};
  await Promise.all(
    entries.map(async ([roomId, after]) => {
      if (!memberOf.has(roomId)) {
        out[roomId] = { messages: [], hasMore: false, error: { code: "NOT_FOUND", message: "no such room" } };
        return;
      }
      out[roomId] = await deps.messages.page(roomId, { after, limit });
    }),
  );
  return out;
}
