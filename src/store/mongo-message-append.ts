// Appending in the MongoDB message store (mongo-message-store.ts; collections: mongo-message-chunks.ts).
//
// Append = ONE findOneAndUpdate on the room's open chunk with an update pipeline that, atomically:
//   if the chunk's keys hold this key → changes nothing (duplicate);
//   else if the message fits (same bucket, under both caps) → pushes it with seq = lastSeq + 1 and
//     rev = rev + 1, and sets the chunk's lastSeq, rev and maxRev to those;
//   else → seals the chunk (its lastSeq is final from then on).
// After a seal (or with no open chunk) the appender opens the next chunk in a transaction: read
// the newest chunk, write it (a fresh `op`, so that a change moving its rev meanwhile aborts one of
// the two), insert the next with firstSeq = its lastSeq + 1, rev = its rev + 1 and its pins. The
// unique indexes let exactly one racer win and the losers start over. So seqs are gap-free, seq
// n+1 is written only after n, and the rev moves by one in the same atomic step as the message.
//
// Idempotency without transactions on the common path:
//   1. claim the key: insert its lease in message_keys (unique _id) while looking the key up in
//      the chunks; found in a chunk → return that message (created = false);
//   2. lease held by another appender and nothing stored yet → wait for it (up to WAIT_MS, then
//      UNAVAILABLE so the client retries), or take the lease over once older than LEASE_MS;
//   3. the append pipeline re-checks the open chunk's keys in the same atomic step (and the
//      roll-over transaction the newest chunk's).
// A crash anywhere loses nothing and duplicates nothing: before the append lands there is no
// message (a retry waits out the lease, then appends); after it lands, the key is in the chunk.
// THE ONE DUPLICATE WINDOW: an appender that holds a lease and then stalls for more than LEASE_MS
// (process frozen, or its request held in the network or the server) while a retry takes the lease
// over and appends; if the stalled update then lands in a DIFFERENT chunk than the retry's (a
// rollover in between), both are stored. Landing in the same chunk is caught by step 3.
//
// Injection: client text enters the update pipeline only inside $literal, so "$gt"-like text
// stays text; filters hold only checked strings and numbers (the connection sanitizes them too).

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import type { Connection, Model } from "mongoose";

import { Unavailable } from "../domain/errors.js";
import type { Message } from "../domain/message.js";
import type { AppendResult, MessageDraft } from "../domain/ports/message-store.js";
import { bucketOf, checkDraft, storedBytes, toMessage, toStored, type ChunkLimits, type StoredMessage } from "./message-chunks.js";
import { inTransaction, isDuplicateKey, roomRev, type ChunkDoc, type KeyDoc } from "./mongo-message-chunks.js";

const LEASE_MS = 10_000;
const WAIT_MS = 3_000;

type Newest = Pick<ChunkDoc, "lastSeq" | "sealed" | "keys" | "rev" | "pins"> & { _id: unknown };

export class MongoMessageAppender {
  constructor(
    private readonly connection: Connection,
    private readonly Chunk: Model<ChunkDoc>,
    private readonly Key: Model<KeyDoc>,
    private readonly limits: ChunkLimits,
  ) {}

  async append(draft: MessageDraft, now: Date): Promise<AppendResult> {
    checkDraft(draft);
    const { roomId } = draft;
    const key = draft.clientMsgId === null ? null : JSON.stringify([draft.senderId, draft.clientMsgId]);
    if (key !== null) {
      const stored = await this.claim(roomId, key);
      if (stored) return { message: stored, created: false };
    }
    const element = toStored(draft, 0, now, 0);
    const { seq: _, rev: __, ...fields } = element;
    const bytes = storedBytes({ ...element, seq: Number.MAX_SAFE_INTEGER, rev: Number.MAX_SAFE_INTEGER }); // their widest form
    const bucket = bucketOf(now, this.limits);
    for (let attempt = 0; attempt < 100; attempt++) {
      const op = randomUUID();
      const doc = await this.Chunk.findOneAndUpdate({ roomId, sealed: false }, this.pipeline(fields, key, op, bytes, bucket), {
        updatePipeline: true,
        returnDocument: "after",
        projection: { sealed: 1, op: 1, messages: { $slice: -1 } },
      }).lean<Pick<ChunkDoc, "sealed" | "op" | "messages">>();
      if (doc && doc.op === op && !doc.sealed) return { message: toMessage(roomId, doc.messages[0]!), created: true };
      if (doc && doc.op !== op) return this.duplicate(roomId, key!);
      // The open chunk was sealed (by us, just now, or by a crash-interrupted roll) or never existed.
      try {
        const rolled = await this.roll(roomId, key, element, bytes, bucket);
        if (rolled === "duplicate") return this.duplicate(roomId, key!);
        if (rolled) return { message: toMessage(roomId, rolled), created: true };
        // Someone opened the next chunk: append there.
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Another appender opened that chunk first: start over.
      }
    }
    throw new Unavailable("too much contention appending to this room; retry");
  }

  private pipeline(fields: Omit<StoredMessage, "seq" | "rev">, key: string | null, op: string, bytes: number, bucket: Date) {
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
    // Every expression of one $set stage reads the document as it was before the stage.
    const rev = { $add: [{ $ifNull: ["$rev", "$lastSeq"] }, 1] };
    const element = { $mergeObjects: [{ $literal: fields }, { seq: { $add: ["$lastSeq", 1] }, rev }] };
    return [
      { $set: { _act: act } },
      {
        $set: {
          messages: ifAppending({ $concatArrays: ["$messages", [element]] }, "$messages"),
          keys: key === null ? "$keys" : ifAppending({ $concatArrays: ["$keys", [{ $literal: key }]] }, "$keys"),
          lastSeq: ifAppending({ $add: ["$lastSeq", 1] }, "$lastSeq"),
          count: ifAppending({ $add: ["$count", 1] }, "$count"),
          bytes: ifAppending({ $add: ["$bytes", bytes] }, "$bytes"),
          rev: ifAppending(rev, "$rev"),
          maxRev: ifAppending(rev, "$maxRev"),
          sealed: { $eq: ["$_act", "seal"] },
          op: { $cond: [{ $eq: ["$_act", "dup"] }, "$op", { $literal: op }] },
        },
      },
      { $unset: "_act" },
    ];
  }

  /**
   * Opens the room's next chunk with this message; null when an open chunk exists meanwhile. One
   * transaction: a change committing between the read of the newest chunk's rev and the insert
   * would otherwise give two events one rev, or lose a pin.
   */
  private roll(roomId: string, key: string | null, element: StoredMessage, bytes: number, bucket: Date): Promise<StoredMessage | "duplicate" | null> {
    return inTransaction(this.connection, async (session) => {
      const newest = await this.Chunk.findOne({ roomId }, { lastSeq: 1, sealed: 1, keys: 1, rev: 1, pins: 1 }, { sort: { firstSeq: -1 }, session })
        .lean<Newest>();
      if (newest && !newest.sealed) return null;
      if (key !== null && newest?.keys.includes(key)) return "duplicate";
      const first: StoredMessage = { ...element, seq: (newest?.lastSeq ?? 0) + 1, rev: roomRev(newest) + 1 };
      if (newest) await this.Chunk.updateOne({ _id: newest._id }, { $set: { op: randomUUID() } }, { session });
      await this.Chunk.create([{
        roomId, firstSeq: first.seq, lastSeq: first.seq, bucket, count: 1, bytes, sealed: false, keys: key === null ? [] : [key],
        op: randomUUID(), messages: [first], maxRev: first.rev, rev: first.rev, pins: newest?.pins ?? [],
      }], { session });
      return first;
    });
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
}
