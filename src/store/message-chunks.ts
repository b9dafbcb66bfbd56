// What the two MessageStore adapters (pg-message-store.ts, mongo-message-store.ts) share: the
// chunk model's limits, the stored element shape, and validation of what may be stored.

import { Invalid } from "../domain/errors.js";
import { messageId, type AttachmentRef, type Message } from "../domain/message.js";
import type { MessageDraft } from "../domain/ports/message-store.js";

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

/** A message as stored inside a chunk: `id` and `roomId` are implied by the chunk. */
export type StoredMessage = Omit<Message, "id" | "roomId">;

export function bucketOf(now: Date, limits: ChunkLimits): Date {
  const ms = now.getTime();
  return new Date(ms - (((ms % limits.bucketMs) + limits.bucketMs) % limits.bucketMs));
}

export function toStored(draft: MessageDraft, seq: number, now: Date): StoredMessage {
  return {
    seq,
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
}

/** Bytes an element counts for against maxBytes: its JSON in UTF-8. */
export function storedBytes(element: StoredMessage): number {
  return Buffer.byteLength(JSON.stringify(element), "utf8");
}

export function toMessage(roomId: string, s: StoredMessage): Message {
  const message: Message = {
    id: messageId(roomId, s.seq),
    roomId,
    seq: s.seq,
    senderId: s.senderId,
    type: s.type,
    text: s.text,
    attachments: s.attachments ?? [],
    clientMsgId: s.clientMsgId ?? null,
    createdAt: s.createdAt,
  };
  if (s.editedAt) message.editedAt = s.editedAt;
  if (s.deletedAt) message.deletedAt = s.deletedAt;
  return message;
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

export function checkDraft(draft: MessageDraft): void {
  checkRoomId(draft.roomId);
  checkStorable(draft.senderId, "senderId", ID_MAX);
  if (!TYPES.has(draft.type)) throw new Invalid("bad message type", [{ path: "type", message: "unknown type" }]);
  checkStorable(draft.text, "text");
  if (draft.clientMsgId !== null) checkStorable(draft.clientMsgId, "clientMsgId", ID_MAX);
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
