// The collections of the MongoDB message store (mongo-message-store.ts) and what its parts share.
//
// message_chunks: { roomId, firstSeq, lastSeq, bucket, count, bytes, sealed, keys, op, messages,
//   maxRev, rev, pins }
//   unique (roomId, firstSeq); unique partial (roomId) where sealed = false: at most ONE open chunk
//   per room; (roomId, keys) for idempotency look-ups; (roomId, maxRev) for changes();
//   (messages.senderId, roomId, firstSeq) for sentBy(). `keys` holds
//   [senderId, clientMsgId] (JSON) of the chunk's keyed messages, written in the same atomic update
//   as the messages; `op` tells an appender its own update from another's; `maxRev` is the highest
//   rev of the chunk's elements.
//   The room's own state lives in its NEWEST chunk (the open one, or the one just sealed while the
//   next is not inserted yet): `rev`, the room's timeline revision, and `pins`, its pinned seqs
//   (most recently pinned last). Older chunks keep stale copies that nothing reads.
//   Chunks written before the timeline revision have no rev, maxRev or pins: their elements count
//   as rev = seq, so such a room's rev is its lastSeq (roomRev), and init() sets maxRev = lastSeq.
// message_keys: { _id: [roomId, senderId, clientMsgId] (JSON), owner, at }: a lease on a
//   clientMsgId while its append is in flight (TTL: deleted an hour later).

import { Schema, type ClientSession, type Connection, type Model } from "mongoose";

import type { StoredMessage } from "./message-chunks.js";

export interface ChunkDoc {
  roomId: string;
  firstSeq: number;
  lastSeq: number;
  bucket: Date;
  count: number;
  bytes: number;
  sealed: boolean;
  keys: string[];
  op: string;
  messages: StoredMessage[];
  maxRev?: number;
  rev?: number;
  pins?: number[];
}

export interface KeyDoc {
  _id: string;
  owner: string;
  at: Date;
}

const chunkSchema = new Schema(
  {
    roomId: { type: String, required: true },
    firstSeq: { type: Number, required: true },
    lastSeq: { type: Number, required: true },
    bucket: { type: Date, required: true },
    count: { type: Number, required: true },
    bytes: { type: Number, required: true },
    sealed: { type: Boolean, required: true },
    keys: { type: [String], default: [] },
    op: { type: String, default: "" },
    messages: { type: [Schema.Types.Mixed], default: [] },
    maxRev: { type: Number },
    rev: { type: Number },
    pins: { type: [Number], default: [] },
  },
  { versionKey: false, strict: "throw", collection: "message_chunks" },
);
chunkSchema.index({ roomId: 1, firstSeq: 1 }, { unique: true });
chunkSchema.index({ roomId: 1 }, { unique: true, partialFilterExpression: { sealed: false }, name: "one_open_chunk" });
chunkSchema.index({ roomId: 1, keys: 1 });
chunkSchema.index({ roomId: 1, maxRev: 1 });
// A sender's messages in every room (account export and deletion, MessageStore.sentBy): multikey
// over the chunk's elements, so it finds the chunks holding one, in (roomId, firstSeq) order.
chunkSchema.index({ "messages.senderId": 1, roomId: 1, firstSeq: 1 });

const keySchema = new Schema<KeyDoc>(
  { _id: { type: String, required: true }, owner: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false, strict: "throw", collection: "message_keys" },
);
keySchema.index({ at: 1 }, { expireAfterSeconds: 3600 });

/** The connection's models (created once per connection, so several stores can share it). */
export function messageModels(connection: Connection): { Chunk: Model<ChunkDoc>; Key: Model<KeyDoc> } {
  return {
    Chunk: (connection.models.MessageChunk as Model<ChunkDoc> | undefined) ?? connection.model<ChunkDoc>("MessageChunk", chunkSchema),
    Key: (connection.models.MessageKey as Model<KeyDoc> | undefined) ?? connection.model<KeyDoc>("MessageKey", keySchema),
  };
}

export const isDuplicateKey = (e: unknown) => typeof e === "object" && e !== null && (e as { code?: unknown }).code === 11000;

/** The room's rev, read from its newest chunk (0 without one). */
export const roomRev = (newest: { lastSeq: number; rev?: number | null } | null): number => (newest ? (newest.rev ?? newest.lastSeq) : 0);

// "local": the snapshot is the newest data, so a transaction in a busy room conflicts only with
// appends landing during its first statement (a majority snapshot lags, and would conflict more).
// Writes are ordered by write conflicts, whatever the snapshot shows.
const TRANSACTION = { readConcern: { level: "local" as const }, writeConcern: { w: "majority" as const, journal: true } };

/** Runs `work` as one transaction; the driver runs it again (with backoff) after a write conflict. */
export async function inTransaction<T>(connection: Connection, work: (session: ClientSession) => Promise<T>): Promise<T> {
  const session = await connection.startSession();
  try {
    return await session.withTransaction(() => work(session), TRANSACTION);
  } finally {
    await session.endSession();
  }
}
