// What the two MessageStore adapters (pg-message-store.ts, mongo-message-store.ts) share: the
// chunk model's limits, the stored element shape, and validation of what may be stored.

import { Conflict, Forbidden, Invalid } from "../domain/errors.js";
import { messageId, REACTION_USERS_SHOWN, REACTIONS_PER_MESSAGE_MAX, type AttachmentRef, type Message, type ReactionView } from "../domain/message.js";
import type { MessageChange, MessageDraft } from "../domain/ports/message-store.js";

/**
 * A chunk holds the messages of one room from one time bucket, closed at whichever cap comes first.
 *
 * - bucket = one UTC day. The bucket bounds a chunk's time range (retention and archiving work by
 *   whole chunks) without fragmenting quiet rooms: a room with a message an hour still gets 24
 *   per chunk, so its 50-message page reads 2–3 chunks. An hourly bucket would make that page
 *   read ~50 one-message chunks.
 * - maxCount = 100. In a busy room the count cap is what closes chunks, so chunks are "full": any
 *   window of 50 consecutive seqs then touches at most 2 chunks (3 across a day boundary). The
 *   PostgreSQL store closes each chunk somewhere from 75 to 100 (closesAt in pg-message-batch.ts)
 *   so that rooms filling at one pace do not all fold at once; the 2-chunk bound still holds.
 * - maxBytes = 32 KiB of element JSON. A typical element is 150–300 bytes, so the count cap binds
 *   first (~15–30 KiB per chunk); the byte cap stops long messages (4,000 characters can be ~12 KB
 *   of UTF-8) from making documents that are slow to rewrite and to read.
 * Why not bigger: a chunk is rewritten whole when it changes. MongoDB rewrites the document on every
 * append (~16 KB on average with these caps); PostgreSQL keeps the open chunk as rows and writes
 * the chunk once when it closes (see pg-message-store.ts), but an edit or delete still rewrites a
 * closed chunk and a page read decompresses 1–3 of them. Why not smaller: more chunks per page.
 * A single message larger than maxBytes still gets a chunk of its own. `bytes` is exact for
 * appends and approximate after edits (caps only decide where appends go).
 */
export interface ChunkLimits {
  bucketMs: number;
  maxCount: number;
  maxBytes: number;
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = Object.freeze({
  bucketMs: 24 * 60 * 60 * 1000,
  maxCount: 100,
  maxBytes: 32 * 1024,
});

/** Not part of the MessageStore port: lets tests and tools see how messages were chunked. */
export interface ChunkSummary {
  firstSeq: number;
  lastSeq: number;
  count: number;
  bytes: number;
  bucket: string;
}

/** Everyone who reacted with one emoji, in the order they did (views show the first few and the count). */
export interface StoredReaction {
  emoji: string;
  userIds: string[];
}

/**
 * A message as stored inside a chunk: `id` and `roomId` are implied by the chunk. `rev` is absent
 * on messages stored before the timeline revision existed: they count as changed at rev = seq.
 */
export type StoredMessage = Omit<Message, "id" | "roomId" | "rev" | "reactions" | "replyTo"> & { rev?: number; reactions?: StoredReaction[] };

export const revOf = (s: StoredMessage): number => s.rev ?? s.seq;

export function bucketOf(now: Date, limits: ChunkLimits): Date {
  const ms = now.getTime();
  return new Date(ms - (((ms % limits.bucketMs) + limits.bucketMs) % limits.bucketMs));
}

export function toStored(draft: MessageDraft, seq: number, now: Date, rev: number): StoredMessage {
  const stored: StoredMessage = {
    seq,
    rev,
    senderId: draft.senderId,
    type: draft.type,
    text: draft.text,
    // Rebuilt field by field: only the known, checked fields reach the database.
    attachments: draft.attachments.map((a) => {
      const ref: AttachmentRef = { id: a.id, name: a.name, size: a.size, contentType: a.contentType, url: a.url };
      if (a.thumbnailUrl !== undefined) ref.thumbnailUrl = a.thumbnailUrl;
      return ref;
    }),
    clientMsgId: draft.clientMsgId,
    createdAt: now.toISOString(),
  };
  if (draft.replyToSeq !== undefined) stored.replyToSeq = draft.replyToSeq;
  if (draft.mentions?.length) stored.mentions = [...draft.mentions];
  if (draft.mentionsRoom) stored.mentionsRoom = true;
  return stored;
}

/** A reply must answer a message of its room: one of seqs 1..lastSeq (none is ever removed). */
export function checkReplyTarget(replyToSeq: number | undefined, lastSeq: number): void {
  if (replyToSeq !== undefined && (replyToSeq < 1 || replyToSeq > lastSeq)) {
    throw new Invalid("replyToSeq is not a message of this room", [{ path: "replyToSeq", message: "no such message in this room" }]);
  }
}

/** Bytes an element counts for against maxBytes: its JSON in UTF-8. */
export function storedBytes(element: StoredMessage): number {
  return Buffer.byteLength(JSON.stringify(element), "utf8");
}

/** The message as the API shows it; with a viewer, each reaction says whether they made it (`me`). */
export function toMessage(roomId: string, s: StoredMessage, viewerId?: string): Message {
  const message: Message = {
    id: messageId(roomId, s.seq),
    roomId,
    seq: s.seq,
    rev: revOf(s),
    senderId: s.senderId,
    type: s.type,
    text: s.text,
    attachments: s.attachments ?? [],
    clientMsgId: s.clientMsgId ?? null,
    createdAt: s.createdAt,
    reactions: (s.reactions ?? []).map((r) => {
      const view: ReactionView = { emoji: r.emoji, count: r.userIds.length, userIds: r.userIds.slice(0, REACTION_USERS_SHOWN) };
      if (viewerId !== undefined) view.me = r.userIds.includes(viewerId);
      return view;
    }),
  };
  if (s.editedAt) message.editedAt = s.editedAt;
  if (s.deletedAt) message.deletedAt = s.deletedAt;
  if (s.replyToSeq !== undefined) message.replyToSeq = s.replyToSeq;
  if (s.mentions?.length) message.mentions = s.mentions;
  if (s.mentionsRoom) message.mentionsRoom = true;
  if (s.pinnedAt) {
    message.pinnedAt = s.pinnedAt;
    if (s.pinnedBy) message.pinnedBy = s.pinnedBy;
  }
  return message;
}

/**
 * The stored message after `change`, at revision `rev`; null when the change is already in
 * effect (nothing to write, rev stays). Both adapters and the in-memory fake apply changes
 * through this one function, so they agree on every rule of the contract.
 */
export function applyChange(s: StoredMessage, change: MessageChange, rev: number, now: Date): StoredMessage | null {
  if ((change.kind === "edit" || change.kind === "delete") && change.by !== undefined) {
    if (s.senderId !== change.by) throw new Forbidden("only the sender can change a message");
    if (s.deletedAt) throw new Conflict("message was deleted");
  }
  if (s.deletedAt) {
    if (change.kind === "delete") return null;
    throw new Conflict("message was deleted");
  }
  const next: StoredMessage = structuredClone(s);
  next.rev = rev;
  switch (change.kind) {
    case "edit":
      checkStorable(change.text, "text");
      next.text = change.text;
      next.editedAt = now.toISOString();
      return next;
    case "delete":
      next.text = "";
      next.attachments = [];
      next.deletedAt = now.toISOString();
      delete next.mentions;
      delete next.mentionsRoom;
      delete next.reactions;
      delete next.pinnedAt;
      delete next.pinnedBy;
      return next;
    case "react": {
      checkStorable(change.emoji, "emoji", ID_MAX);
      checkStorable(change.userId, "userId", ID_MAX);
      const reactions = next.reactions ?? [];
      const i = reactions.findIndex((r) => r.emoji === change.emoji);
      const entry = reactions[i];
      if (change.add) {
        if (entry?.userIds.includes(change.userId)) return null;
        if (entry) entry.userIds.push(change.userId);
        else if (reactions.length >= REACTIONS_PER_MESSAGE_MAX) throw new Conflict(`a message takes at most ${REACTIONS_PER_MESSAGE_MAX} distinct emoji`);
        else reactions.push({ emoji: change.emoji, userIds: [change.userId] });
      } else {
        if (!entry?.userIds.includes(change.userId)) return null;
        entry.userIds = entry.userIds.filter((u) => u !== change.userId);
        if (entry.userIds.length === 0) reactions.splice(i, 1);
      }
      if (reactions.length) next.reactions = reactions;
      else delete next.reactions;
      return next;
    }
    case "pin":
      if (change.pinned === Boolean(s.pinnedAt)) return null;
      if (change.pinned) {
        checkStorable(change.userId, "userId", ID_MAX);
        next.pinnedAt = now.toISOString();
        next.pinnedBy = change.userId;
      } else {
        delete next.pinnedAt;
        delete next.pinnedBy;
      }
      return next;
  }
}

/** The room's pinned seqs (most recently pinned last) after a message changed from `before` to `after`. */
export function pinsAfter(pins: number[], before: StoredMessage, after: StoredMessage): number[] {
  const without = pins.filter((p) => p !== after.seq);
  return after.pinnedAt ? (before.pinnedAt ? pins : [...without, after.seq]) : without;
}

const ID_MAX = 256;
const TYPES = new Set<string>(["text", "file", "system"]);
// A lone UTF-16 surrogate: JSON.stringify escapes it, and neither jsonb nor BSON can hold it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Strings both stores can hold byte for byte: no NUL (jsonb refuses it) and well-formed UTF-16.
 * Throws VALIDATION: such input is the client's fault, and it must be refused before it joins a
 * group-committed batch.
 */
export function checkStorable(value: unknown, path: string, maxLength?: number): asserts value is string {
  if (typeof value !== "string") throw new Invalid(`${path} must be a string`, [{ path, message: "must be a string" }]);
  if (maxLength !== undefined && (value.length === 0 || value.length > maxLength)) {
    throw new Invalid(`${path} must be 1-${maxLength} characters`, [{ path, message: "bad length" }]);
  }
  if (value.includes("\u0000") || LONE_SURROGATE.test(value)) {
    throw new Invalid(`${path} contains a NUL character or broken Unicode`, [{ path, message: "unstorable characters" }]);
  }
}

export function checkRoomId(roomId: unknown): asserts roomId is string {
  checkStorable(roomId, "roomId", ID_MAX);
}

export function checkSeq(seq: unknown): asserts seq is number {
  if (typeof seq !== "number" || !Number.isSafeInteger(seq)) throw new Invalid("seq must be an integer", [{ path: "seq", message: "not an integer" }]);
}

/** MessageStore.sentBy's arguments, checked alike by every adapter. */
export function checkSentByQuery(senderId: unknown, q: { after?: { roomId: string; seq: number }; limit: number }): void {
  checkStorable(senderId, "senderId", ID_MAX);
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new Invalid("limit must be a positive integer", [{ path: "limit", message: "bad limit" }]);
  if (q.after) {
    checkRoomId(q.after.roomId);
    checkSeq(q.after.seq);
  }
}

export function checkDraft(draft: MessageDraft): void {
  checkRoomId(draft.roomId);
  checkStorable(draft.senderId, "senderId", ID_MAX);
  if (!TYPES.has(draft.type)) throw new Invalid("bad message type", [{ path: "type", message: "unknown type" }]);
  checkStorable(draft.text, "text");
  if (draft.clientMsgId !== null) checkStorable(draft.clientMsgId, "clientMsgId", ID_MAX);
  if (draft.replyToSeq !== undefined) checkSeq(draft.replyToSeq);
  if (draft.mentions !== undefined) {
    if (!Array.isArray(draft.mentions)) throw new Invalid("mentions must be a list", [{ path: "mentions", message: "not a list" }]);
    draft.mentions.forEach((id, i) => checkStorable(id, `mentions.${i}`, ID_MAX));
  }
  if (!Array.isArray(draft.attachments)) throw new Invalid("attachments must be a list", [{ path: "attachments", message: "not a list" }]);
  draft.attachments.forEach((a, i) => {
    if (typeof a !== "object" || a === null) throw new Invalid("attachment must be an object", [{ path: `attachments.${i}`, message: "not an object" }]);
    for (const key of ["id", "name", "contentType", "url"] as const) checkStorable(a[key], `attachments.${i}.${key}`);
    if (a.thumbnailUrl !== undefined) checkStorable(a.thumbnailUrl, `attachments.${i}.thumbnailUrl`);
    if (!Number.isSafeInteger(a.size) || a.size < 0) throw new Invalid("attachment size must be a count of bytes", [{ path: `attachments.${i}.size`, message: "bad size" }]);
  });
}

export interface PageQuery {
  before?: number;
  after?: number;
  limit: number;
}

/**
 * The seq range [lo, hi] a page covers, given the room's lastSeq (no gaps: every seq in 1..lastSeq
 * exists), and whether there are more messages beyond it in the direction of paging.
 * `after` takes precedence; with both, the page stays below `before`.
 */
export function pageRange(q: PageQuery, lastSeq: number): { lo: number; hi: number; hasMore: boolean } {
  const limit = q.limit;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Invalid("limit must be a positive integer", [{ path: "limit", message: "bad limit" }]);
  if (q.before !== undefined) checkSeq(q.before);
  if (q.after !== undefined) checkSeq(q.after);
  const ceiling = q.before !== undefined ? Math.min(q.before - 1, lastSeq) : lastSeq;
  if (q.after !== undefined) {
    const lo = Math.max(q.after, 0) + 1;
    const hi = Math.min(lo + limit - 1, ceiling);
    return { lo, hi, hasMore: hi < ceiling };
  }
  const hi = ceiling;
  const lo = Math.max(1, hi - limit + 1);
  return { lo, hi, hasMore: lo > 1 && hi >= 1 };
}

/**
 * deleteMany as a loop of single deletes (one change, one rev each), for the adapters that have no
 * cheaper batch: the messages newly deleted, ascending by seq.
 */
export async function deleteOneByOne(
  change: (seq: number) => Promise<{ message: Message; changed: boolean } | null>,
  seqs: number[],
): Promise<Message[]> {
  const deleted: Message[] = [];
  for (const seq of [...new Set(seqs)].sort((x, y) => x - y)) {
    const result = await change(seq);
    if (result?.changed) deleted.push(result.message);
  }
  return deleted;
}
