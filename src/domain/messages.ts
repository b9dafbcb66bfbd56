import { refuseBlockedDirectSend } from "./blocks.js";
import { Invalid, NotFound } from "./errors.js";
import { forEveryone, seqOfMessageId, type AttachmentRef, type Message } from "./message.js";
import { checkMentions, mentionedIds } from "./mentions.js";
import type { MentionIndex } from "./ports/mention-index.js";
import type { MessageChange, MessagePage } from "./ports/message-store.js";
import type { ReplyIndex } from "./ports/reply-index.js";
import { excerptOf, withReplyExcerpts } from "./replies.js";
import { refuseMutedOrBanned } from "./room-mutes.js";
import { requireMember, type RoomDeps } from "./rooms.js";
import { MESSAGE_TEXT_MAX, PAGE_LIMIT_MAX, SYNC_ROOMS_MAX } from "../protocol/limits.js";

// Wire limits are the contract's (src/protocol/limits.ts): re-exported for the callers that read them here.
export { MESSAGE_TEXT_MAX, PAGE_LIMIT_MAX, SYNC_ROOMS_MAX };

/** Fills in attachment metadata for ids the sender uploaded to this room (the files feature plugs in here). */
export interface AttachmentResolver {
  resolve(roomId: string, senderId: string, ids: string[]): Promise<AttachmentRef[]>;
}

export interface MessageDeps extends RoomDeps {
  mentions: MentionIndex;
  replies: ReplyIndex;
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
  input: { roomId: string; clientMsgId: string; text: string; attachmentIds?: string[]; replyToSeq?: number; mentions?: string[]; mentionsRoom?: boolean },
): Promise<{ message: Message; created: boolean }> {
  const { roomId } = input;
  await refuseMutedOrBanned(deps, senderId, roomId);
  await requireMember(deps, roomId, senderId);
  await refuseBlockedDirectSend(deps, senderId, roomId);
  const attachmentIds = input.attachmentIds ?? [];
  checkText(input.text, attachmentIds.length > 0);
  const members = await checkMentions(deps, roomId, input);
  // A store that indexes with its messages checks the reply's target in the append and writes the
  // mention and reply entries with the message: the excerpt is read beside the append, and nothing
  // is written after it (one transaction, one round trip on the send path of a reply or a mention).
  const indexed = deps.messages.indexesWithMessages === true;
  const checked = input.replyToSeq === undefined || indexed ? null : await deps.messages.get(roomId, input.replyToSeq);
  if (input.replyToSeq !== undefined && !indexed && !checked) {
    throw new Invalid("replyToSeq is not a message of this room", [{ path: "replyToSeq", message: "no such message in this room" }]);
  }
  let attachments: AttachmentRef[] = [];
  if (attachmentIds.length) {
    if (!deps.attachments) throw new Invalid("attachments are not supported here", [{ path: "attachmentIds", message: "unsupported" }]);
    attachments = await deps.attachments.resolve(roomId, senderId, attachmentIds);
  }
  const mentioned = members ? mentionedIds({ senderId, mentions: input.mentions, mentionsRoom: input.mentionsRoom }, members) : [];
  // Nothing may throw between this read's start and the Promise.all below that awaits it. Its
  // failure must not fail a send whose message is stored (a retry would find it and broadcast
  // nothing): the broadcast then goes without the excerpt, which readers resolve from history.
  const answered = input.replyToSeq !== undefined && indexed ? deps.messages.get(roomId, input.replyToSeq).catch(() => null) : checked;
  const appended = deps.messages.append(
    {
      roomId, senderId, type: attachments.length ? "file" : "text", text: input.text, attachments, clientMsgId: input.clientMsgId,
      replyToSeq: input.replyToSeq, mentions: input.mentions, mentionsRoom: input.mentionsRoom,
      ...(indexed && mentioned.length ? { mentioned } : {}),
    },
    new Date(),
  );
  const [{ message: stored, created }, original] = await Promise.all([appended, answered]);
  if (!created) return { message: (await withReplyExcerpts(deps, roomId, [stored]))[0]!, created };
  const message = original ? { ...stored, replyTo: excerptOf(original) } : stored;
  // Otherwise here, before the broadcast, so a mention is counted by the time anyone sees the
  // message. A crash between the append and here loses the index entries, never the message.
  if (!indexed) {
    await Promise.all([
      mentioned.length ? deps.mentions.record(roomId, message.seq, senderId, mentioned, new Date(message.createdAt)) : undefined,
      original ? deps.replies.record(roomId, original.seq, message.seq) : undefined,
    ]);
  }
  deps.onMessageStored?.(message);
  deps.broadcaster.toRoom(roomId, "message:new", message);
  // The sender has read what they wrote. The cursor is written behind in batches (one statement
  // per window for all senders). No receipt:updated goes out for it: message:new already tells
  // every joined socket that the sender's cursor is at least this seq, and a second event per
  // message and receiver doubled the socket writes (40% of a node's CPU at 2,000 messages/s).
  deps.receipts.readOwn(deps.rooms, roomId, senderId, message.seq);
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
  const page = await deps.messages.page(roomId, { ...query, limit: Math.min(query.limit, PAGE_LIMIT_MAX) }, userId);
  return { ...page, messages: await withReplyExcerpts(deps, roomId, page.messages) };
}

/** The seq a socket's messageId names in this room; NOT_FOUND when it names none. */
export function seqOf(roomId: string, messageId: string): number {
  const seq = seqOfMessageId(roomId, messageId);
  if (seq === null) throw new NotFound("no such message in this room");
  return seq;
}

/**
 * Applies one change to message `seq` and, when it changed something, tells the room's joined
 * sockets (message:updated, without anyone's `me`). Returns the message as `viewerId` sees it.
 */
export async function changeMessage(deps: MessageDeps, roomId: string, seq: number, change: MessageChange, viewerId?: string): Promise<{ message: Message; changed: boolean }> {
  const result = await deps.messages.change(roomId, seq, change, new Date(), viewerId);
  if (!result) throw new NotFound("no such message in this room");
  const [message] = await withReplyExcerpts(deps, roomId, [result.message]);
  if (result.changed) deps.broadcaster.toRoom(roomId, "message:updated", forEveryone(message!));
  return { message: message!, changed: result.changed };
}

/**
 * The seq of a message `userId` may change in this room. Whether it is theirs and not deleted is
 * checked by the change itself (MessageChange's `by`), atomically with it, so no read comes first.
 */
async function ownSeq(deps: MessageDeps, userId: string, roomId: string, messageId: string): Promise<number> {
  await requireMember(deps, roomId, userId);
  return seqOf(roomId, messageId);
}

export async function editMessage(deps: MessageDeps, userId: string, input: { roomId: string; messageId: string; text: string }): Promise<Message> {
  checkText(input.text, false);
  const seq = await ownSeq(deps, userId, input.roomId, input.messageId);
  const { message } = await changeMessage(deps, input.roomId, seq, { kind: "edit", text: input.text, by: userId }, userId);
  deps.onMessageChanged?.(message);
  await deps.feed.roomChanged(input.roomId, await deps.rooms.memberIds(input.roomId));
  return message;
}

export async function deleteMessage(deps: MessageDeps, userId: string, input: { roomId: string; messageId: string }): Promise<Message> {
  const seq = await ownSeq(deps, userId, input.roomId, input.messageId);
  return tombstoneMessage(deps, input.roomId, seq, userId, userId);
}

/**
 * The one delete path, after the caller's own checks (the sender's through `by`; an operator's in
 * moderation.ts): the tombstone, the room's sockets (message:updated), search and the room list.
 */
export async function tombstoneMessage(deps: MessageDeps, roomId: string, seq: number, viewerId?: string, by?: string): Promise<Message> {
  const { message } = await changeMessage(deps, roomId, seq, by === undefined ? { kind: "delete" } : { kind: "delete", by }, viewerId);
  await deps.mentions.remove(roomId, seq);
  deps.onMessageChanged?.(message);
  await deps.feed.roomChanged(roomId, await deps.rooms.memberIds(roomId));
  return message;
}
