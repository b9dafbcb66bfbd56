// MessageStore on MongoDB through Mongoose. Works on a standalone server: no transactions.
//
// Collection message_chunks: { roomId, firstSeq, lastSeq, bucket, count, bytes, sealed, keys, op, messages }
//   unique (roomId, firstSeq); unique partial (roomId) where sealed = false: at most ONE open chunk
//   per room; (roomId, keys) for idempotency look-ups. `keys` holds [senderId, clientMsgId] (JSON)
//   of the chunk's keyed messages, written in the same atomic update as the messages.
// Collection message_keys: { _id: [roomId, senderId, clientMsgId] (JSON), owner, at }: a lease
//   on a clientMsgId while its append is in flight (TTL: deleted an hour later).
//
// Append = ONE findOneAndUpdate on the room's open chunk with an update pipeline that, atomically:
//   if the chunk's keys hold this key → changes nothing (duplicate);
//   else if the message fits (same bucket, under both caps) → pushes it with seq = lastSeq + 1;
//   else → seals the chunk (its lastSeq is final from then on).
// After a seal (or with no open chunk) the appender inserts the next chunk with
// firstSeq = (newest chunk's lastSeq) + 1 and the message in it; the unique indexes let exactly one
// racer win and the losers start over. So seqs are gap-free, and seq n+1 is written only after n.
//
// Idempotency without transactions:
//   1. claim the key: insert its lease in message_keys (unique _id) while looking the key up in
//      the chunks; found in a chunk → return that message (created = false);
//   2. lease held by another appender and nothing stored yet → wait for it (up to WAIT_MS, then
//      UNAVAILABLE so the client retries), or take the lease over once older than LEASE_MS;
//   3. the append pipeline re-checks the open chunk's keys in the same atomic step.
// A crash anywhere loses nothing and duplicates nothing: before the append lands there is no
// message (a retry waits out the lease, then appends); after it lands, the key is in the chunk.
// THE ONE DUPLICATE WINDOW: an appender that holds a lease and then stalls for more than LEASE_MS
// (process frozen, or its request held in the network or the server) while a retry takes the lease
// over and appends; if the stalled update then lands in a DIFFERENT chunk than the retry's (a
// rollover in between), both are stored. Landing in the same chunk is caught by step 3.
//
// Injection: every value put in a filter is a string or number checked by message-chunks.ts;
// the connection has sanitizeFilter on (our own operator objects are marked trusted), and
// client text enters the update pipeline only inside $literal, so "$gt"-like text stays text.

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import mongoose, { Schema, type Connection, type ConnectOptions, type Model } from "mongoose";

import { Unavailable } from "../domain/errors.js";
import type { Message } from "../domain/message.js";
import type { AppendResult, MessageDraft, MessagePage, MessageStore, RoomHead } from "../domain/ports/message-store.js";
import {
  bucketOf, checkDraft, checkRoomId, checkSeq, checkStorable, DEFAULT_CHUNK_LIMITS, pageRange, storedBytes, toMessage, toStored,
  type ChunkLimits, type ChunkSummary, type PageQuery, type StoredMessage,
} from "./message-chunks.js";

const LEASE_MS = 10_000;
const WAIT_MS = 3_000;
const { trusted } = mongoose;

const SERVER_SELECTION_TIMEOUT_MS = 10_000;

/** Opens a connection with the options this store relies on (majority + journaled writes, sanitizeFilter). */
export function connectMongo(url: string, options: ConnectOptions = {}): Promise<Connection> {
  // The driver lets an option given here override the URL's: the timeout is the operator's to
  // choose in MONGO_URL, so it is only a default (10 s: a start fails soon rather than hanging).
  const timeout = /[?&]serverSelectionTimeoutMS=/i.test(url) ? {} : { serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS };
  return mongoose
    .createConnection(url, {
      sanitizeFilter: true,
      w: "majority",
      journal: true,
      autoIndex: false,
      // Without a server Mongoose would queue operations, then fail them with a plain MongooseError
      // that reads as a bug (INTERNAL); the driver's own MongoServerSelectionError is an outage.
      bufferCommands: false,
      ...timeout,
      ...options,
    })
    .asPromise();
}

interface ChunkDoc {
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
  },
  { versionKey: false, strict: "throw", collection: "message_chunks" },
);
chunkSchema.index({ roomId: 1, firstSeq: 1 }, { unique: true });
chunkSchema.index({ roomId: 1 }, { unique: true, partialFilterExpression: { sealed: false }, name: "one_open_chunk" });
chunkSchema.index({ roomId: 1, keys: 1 });

interface KeyDoc {
  _id: string;
  owner: string;
  at: Date;
}

const keySchema = new Schema<KeyDoc>(
  { _id: { type: String, required: true }, owner: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false, strict: "throw", collection: "message_keys" },
);
keySchema.index({ at: 1 }, { expireAfterSeconds: 3600 });

const isDuplicateKey = (e: unknown) => typeof e === "object" && e !== null && (e as { code?: unknown }).code === 11000;

export class MongoMessageStore implements MessageStore {
  private readonly limits: ChunkLimits;
  private readonly Chunk: Model<ChunkDoc>;
  private readonly Key: Model<KeyDoc>;

  constructor(connection: Connection, options: { limits?: Partial<ChunkLimits> } = {}) {
    this.limits = { ...DEFAULT_CHUNK_LIMITS, ...options.limits };
    this.Chunk = (connection.models.MessageChunk as Model<ChunkDoc> | undefined) ?? connection.model<ChunkDoc>("MessageChunk", chunkSchema);
    this.Key = (connection.models.MessageKey as Model<KeyDoc> | undefined) ?? connection.model<KeyDoc>("MessageKey", keySchema);
  }

  /** Creates the collections' indexes (idempotent). Call once before use. */
  async init(): Promise<void> {
    await this.Chunk.createIndexes();
    await this.Key.createIndexes();
  }

  async append(draft: MessageDraft, now: Date): Promise<AppendResult> {
    checkDraft(draft);
    const { roomId } = draft;
    const key = draft.clientMsgId === null ? null : JSON.stringify([draft.senderId, draft.clientMsgId]);
    if (key !== null) {
      const stored = await this.claim(roomId, key);
      if (stored) return { message: stored, created: false };
    }
    const element = toStored(draft, 0, now);
    const { seq: _, ...fields } = element;
    const bytes = storedBytes({ ...element, seq: Number.MAX_SAFE_INTEGER }); // seq's widest form
    const bucket = bucketOf(now, this.limits);
    for (let attempt = 0; attempt < 100; attempt++) {
      const op = randomUUID();
      const doc = await this.Chunk.findOneAndUpdate({ roomId, sealed: false }, this.appendPipeline(fields, key, op, bytes, bucket), {
        updatePipeline: true,
        returnDocument: "after",
        projection: { lastSeq: 1, sealed: 1, op: 1, messages: { $slice: -1 } },
      }).lean<Pick<ChunkDoc, "lastSeq" | "sealed" | "op" | "messages">>();
      if (doc && doc.op === op && !doc.sealed) return { message: toMessage(roomId, doc.messages[0]!), created: true };
      if (doc && doc.op !== op) return this.duplicate(roomId, key!);
      // The open chunk was sealed (by us, just now, or by a crash-interrupted roll) or never existed.
      const newest = await this.Chunk.findOne({ roomId }, { lastSeq: 1, sealed: 1, keys: 1 }, { sort: { firstSeq: -1 } }).lean();
      if (newest && !newest.sealed) continue; // someone opened the next chunk: append there
      if (key !== null && newest?.keys.includes(key)) return this.duplicate(roomId, key);
      const seq = (newest?.lastSeq ?? 0) + 1;
      const first: StoredMessage = { ...element, seq };
      try {
        await this.Chunk.create({
          roomId, firstSeq: seq, lastSeq: seq, bucket, count: 1, bytes, sealed: false, keys: key === null ? [] : [key], op, messages: [first],
        });
        return { message: toMessage(roomId, first), created: true };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Another appender opened that chunk first: start over.
      }
    }
    throw new Unavailable("too much contention appending to this room; retry");
  }

  private appendPipeline(fields: Omit<StoredMessage, "seq">, key: string | null, op: string, bytes: number, bucket: Date) {
    const fits = {
      $and: [
        { $eq: ["$bucket", { $literal: bucket }] },
        { $lt: ["$count", this.limits.maxCount] },
        { $lte: [{ $add: ["$bytes", bytes] }, this.limits.maxBytes] },
      ],
    };
    const act = key === null ? { $cond: [fits, "append", "seal"] } : { $cond: [{ $in: [{ $literal: key }, "$keys"] }, "dup", { $cond: [fits, "append", "seal"] }] };
    const appending = { $eq: ["$_act", "append"] };
    const ifAppending = (then: unknown, otherwise: unknown) => ({ $cond: [appending, then, otherwise] });
    const element = { $mergeObjects: [{ $literal: fields }, { seq: { $add: ["$lastSeq", 1] } }] };
    return [
      { $set: { _act: act } },
      {
        $set: {
          messages: ifAppending({ $concatArrays: ["$messages", [element]] }, "$messages"),
          keys: key === null ? "$keys" : ifAppending({ $concatArrays: ["$keys", [{ $literal: key }]] }, "$keys"),
          lastSeq: ifAppending({ $add: ["$lastSeq", 1] }, "$lastSeq"),
          count: ifAppending({ $add: ["$count", 1] }, "$count"),
          bytes: ifAppending({ $add: ["$bytes", bytes] }, "$bytes"),
          sealed: { $eq: ["$_act", "seal"] },
          op: { $cond: [{ $eq: ["$_act", "dup"] }, "$op", { $literal: op }] },
        },
      },
      { $unset: "_act" },
    ];
  }

  /** Null when this caller now owns the key; the stored message when the key was used already. */
  private async claim(roomId: string, key: string): Promise<Message | null> {
    const id = JSON.stringify([roomId, key]);
    const owner = randomUUID();
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const [claimed, stored] = await Promise.all([
        this.Key.create({ _id: id, owner, at: new Date() }).then(() => true, (e: unknown) => (isDuplicateKey(e) ? false : Promise.reject(e))),
        this.findByKey(roomId, key),
      ]);
      if (stored) return stored;
      if (claimed) return null;
      const lease = await this.Key.findById(id).lean<{ owner: string; at: Date }>();
      if (!lease) continue; // expired meanwhile
      if (Date.now() - new Date(lease.at).getTime() > LEASE_MS) {
        const took = await this.Key.findOneAndUpdate({ _id: id, owner: lease.owner }, { $set: { owner, at: new Date() } }).lean();
        if (took) return this.findByKey(roomId, key); // the stalled owner may have landed just before
        continue;
      }
      if (Date.now() > deadline) throw new Unavailable("a message with this clientMsgId is being stored; retry shortly");
      await sleep(50);
    }
  }

  private async findByKey(roomId: string, key: string): Promise<Message | null> {
    const [senderId, clientMsgId] = JSON.parse(key) as [string, string];
    const doc = await this.Chunk.findOne({ roomId, keys: key }, { messages: { $elemMatch: { senderId, clientMsgId } } }).lean();
    const m = doc?.messages[0];
    return m ? toMessage(roomId, m) : null;
  }

  private async duplicate(roomId: string, key: string): Promise<AppendResult> {
    const message = await this.findByKey(roomId, key);
    if (!message) throw new Error("duplicate clientMsgId reported but its message was not found");
    return { message, created: false };
  }

  /** The newest chunk's lastSeq is the room's: chunks are gap-free and the newest holds the top. */
  private async lastSeq(roomId: string): Promise<number> {
    const newest = await this.Chunk.findOne({ roomId }, { lastSeq: 1 }, { sort: { firstSeq: -1 } }).lean();
    return newest?.lastSeq ?? 0;
  }

  /** The chunk that holds `seq`, if any (the newest with firstSeq <= seq). */
  private async chunkOf(roomId: string, seq: number) {
    return this.Chunk.findOne({ roomId, firstSeq: trusted({ $lte: seq }) }, { firstSeq: 1, lastSeq: 1 }, { sort: { firstSeq: -1 } }).lean();
  }

  async page(roomId: string, q: PageQuery): Promise<MessagePage> {
    checkRoomId(roomId);
    pageRange(q, 0);
    const { lo, hi, hasMore } = pageRange(q, await this.lastSeq(roomId));
    if (lo > hi) return { messages: [], hasMore };
    const start = await this.chunkOf(roomId, lo);
    if (!start) return { messages: [], hasMore };
    const chunks = await this.Chunk.find({ roomId, firstSeq: trusted({ $gte: start.firstSeq, $lte: hi }) }, { firstSeq: 1, messages: 1 }, { sort: { firstSeq: 1 } }).lean();
    const messages = chunks.flatMap((c) => c.messages).filter((m) => m.seq >= lo && m.seq <= hi);
    return { messages: messages.map((m) => toMessage(roomId, m)), hasMore };
  }

  async get(roomId: string, seq: number): Promise<Message | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const doc = await this.Chunk.findOne({ roomId, firstSeq: trusted({ $lte: seq }) }, { messages: { $elemMatch: { seq } } }, { sort: { firstSeq: -1 } }).lean();
    const m = doc?.messages?.[0];
    return m ? toMessage(roomId, m) : null;
  }

  /** Editing a deleted message changes nothing and returns it as it is (with deletedAt); the domain refuses that before. */
  edit(roomId: string, seq: number, text: string, now: Date): Promise<Message | null> {
    checkStorable(text, "text");
    return this.modify(roomId, seq, { text, editedAt: now.toISOString() });
  }

  /** Deleting twice keeps the first deletedAt. */
  delete(roomId: string, seq: number, now: Date): Promise<Message | null> {
    return this.modify(roomId, seq, { text: "", attachments: [], deletedAt: now.toISOString() });
  }

  private async modify(roomId: string, seq: number, patch: Partial<StoredMessage>): Promise<Message | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const chunk = await this.chunkOf(roomId, seq);
    if (!chunk || seq > chunk.lastSeq || seq < 1) return null;
    const path = `messages.${seq - chunk.firstSeq}`;
    const before = await this.get(roomId, seq);
    if (!before || before.deletedAt) return before;
    const $set = Object.fromEntries(Object.entries(patch).map(([k, v]) => [`${path}.${k}`, v]));
    const grow = storedBytes({ ...before, ...patch }) - storedBytes(before); // approximate after concurrent edits
    const doc = await this.Chunk.findOneAndUpdate(
      { roomId, firstSeq: chunk.firstSeq, [`${path}.seq`]: seq, [`${path}.deletedAt`]: trusted({ $exists: false }) },
      { $set, $inc: { bytes: grow } },
      { returnDocument: "after", projection: { messages: { $slice: [seq - chunk.firstSeq, 1] } } },
    ).lean();
    const m = doc?.messages[0];
    return m ? toMessage(roomId, m) : this.get(roomId, seq); // deleted meanwhile: as it is
  }

  async heads(roomIds: string[]): Promise<Map<string, RoomHead>> {
    const out = new Map<string, RoomHead>();
    for (const id of roomIds) {
      checkRoomId(id);
      out.set(id, { lastSeq: 0, lastMessage: null });
    }
    if (out.size === 0) return out;
    // One query over the open chunks (partial index); a room caught between seal and roll has
    // none for a moment, and those few are read from their newest chunk.
    const open = await this.Chunk.find({ roomId: trusted({ $in: [...out.keys()] }), sealed: false }, { roomId: 1, lastSeq: 1, messages: { $slice: -1 } })
      .lean<Pick<ChunkDoc, "roomId" | "lastSeq" | "messages">[]>();
    const seen = new Set<string>();
    const put = (c: Pick<ChunkDoc, "roomId" | "lastSeq" | "messages">) => {
      seen.add(c.roomId);
      const last = c.messages.at(-1);
      out.set(c.roomId, { lastSeq: c.lastSeq, lastMessage: last ? toMessage(c.roomId, last) : null });
    };
    open.forEach(put);
    const rest = [...out.keys()].filter((id) => !seen.has(id));
    if (rest.length > 0) {
      const newest = await this.Chunk.aggregate<Pick<ChunkDoc, "roomId" | "lastSeq" | "messages">>([
        { $match: { roomId: { $in: rest } } },
        { $sort: { roomId: 1, firstSeq: -1 } },
        { $group: { _id: "$roomId", roomId: { $first: "$roomId" }, lastSeq: { $first: "$lastSeq" }, messages: { $first: { $slice: ["$messages", -1] } } } },
      ]);
      newest.forEach(put);
    }
    return out;
  }

  /** Not part of the port: the room's chunks, oldest first (tests, tools). */
  async chunkSummaries(roomId: string): Promise<ChunkSummary[]> {
    const docs = await this.Chunk.find({ roomId }, { firstSeq: 1, lastSeq: 1, count: 1, bytes: 1, bucket: 1 }, { sort: { firstSeq: 1 } }).lean();
    return docs.map((d) => ({ firstSeq: d.firstSeq, lastSeq: d.lastSeq, count: d.count, bytes: d.bytes, bucket: new Date(d.bucket).toISOString() }));
  }

  /** The connection belongs to the caller. */
  async close(): Promise<void> {}
}
