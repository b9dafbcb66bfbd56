/**
 * Replies (PROTOCOL.md, "Conversations"): a message may answer an earlier one of its room
 * (`replyToSeq`). What it shows of the original (`replyTo`) is read when the reply is read, not
 * copied when it is sent, so it follows the original's edits and turns to null on its delete.
 */
import { NotFound } from "./errors.js";
import { REPLY_EXCERPT_MAX, type Message, type ReplyExcerpt } from "./message.js";
import type { MessagePage, MessageStore } from "./ports/message-store.js";
import type { ReplyIndex } from "./ports/reply-index.js";
import { requireMember } from "./rooms.js";
import type { RoomRepository } from "./ports/room-repository.js";
import { PAGE_LIMIT_MAX } from "../protocol/limits.js";

export interface ReplyDeps {
  rooms: RoomRepository;
  messages: MessageStore;
  replies: ReplyIndex;
}

export function excerptOf(original: Message): ReplyExcerpt {
  // Whole code points: a cut never leaves half a surrogate pair.
  const text = original.deletedAt ? null : [...original.text].slice(0, REPLY_EXCERPT_MAX).join("");
  return { seq: original.seq, senderId: original.senderId, text };
}

/** The messages with `replyTo` filled in from their originals: one read for the whole list. */
export async function withReplyExcerpts(deps: Pick<ReplyDeps, "messages">, roomId: string, messages: Message[]): Promise<Message[]> {
  const wanted = [...new Set(messages.flatMap((m) => (m.replyToSeq === undefined ? [] : [m.replyToSeq])))];
  if (wanted.length === 0) return messages;
  const originals = new Map((await deps.messages.getMany(roomId, wanted)).map((m) => [m.seq, m]));
  return messages.map((m) => {
    const original = m.replyToSeq === undefined ? undefined : originals.get(m.replyToSeq);
    return original ? { ...m, replyTo: excerptOf(original) } : m;
  });
}

/** The replies to message `seq`, ascending by seq, after `after`. */
export async function listReplies(
  deps: ReplyDeps,
  userId: string,
  roomId: string,
  seq: number,
  query: { after?: number; limit: number },
): Promise<MessagePage> {
  await requireMember(deps, roomId, userId);
  if (!(await deps.messages.get(roomId, seq))) throw new NotFound("no such message in this room");
  const { seqs, hasMore } = await deps.replies.list(roomId, seq, { after: query.after, limit: Math.min(query.limit, PAGE_LIMIT_MAX) });
  const messages = await deps.messages.getMany(roomId, seqs, userId);
  return { messages: await withReplyExcerpts(deps, roomId, messages), hasMore };
}
