// MessageStore on MongoDB through Mongoose. NEEDS A REPLICA SET (one member will do) or a sharded
// cluster: opening a chunk and changing a message are multi-document transactions, and init()
// refuses a standalone server. Collections: mongo-message-chunks.ts; appends and clientMsgId
// idempotency: mongo-message-append.ts; changes and reads by rev: mongo-message-change.ts.
//
// Messages live in chunks (one open chunk per room, see message-chunks.ts for the caps). The
// room's timeline revision (rev) and pinned seqs live in its NEWEST chunk, not in a head document
// of their own: an append then stays ONE single-document update that takes seq and rev from the
// document the message goes into. A per-room head document would have made every append a
// transaction: three round trips instead of one, and in a busy room concurrent appends would abort
// one another on write conflicts where single-document updates simply queue.
// Transactions are needed all the same, because a change to a message in an older chunk must move
// the room's rev in the newest chunk in the same atomic step; so are the rare steps that open a
// chunk (they carry the rev and pins over). A standalone server has no transactions.
//
// How rev stays gap-free: every step that moves it (an append, a change, opening a chunk) writes
// the newest chunk and reads the rev there within the same atomic step. A single-document update
// waits for a transaction that has written the document; a transaction that writes a document
// written since its snapshot aborts on the write conflict and the driver runs it again. So these
// steps are serialized per room, each moves the rev by one from the previous one's, and a change
// that changes nothing aborts, writing nothing. Rooms written before revs: rev = lastSeq (their
// elements count as rev = seq). Nodes of the previous version write no rev: they must not write to
// the same database (stop them all before starting this one).
//
// Reads that span documents (page, changes, pinned) are not one snapshot; changes() and pinned()
// say why that is safe for them (page() bounds itself by the lastSeq it read first).

import mongoose, { type Connection, type ConnectOptions, type Model } from "mongoose";

import { Invalid } from "../domain/errors.js";
import type { Message } from "../domain/message.js";
import type {
  AppendResult, ChangeResult, ChangesPage, MessageChange, MessageDraft, MessagePage, MessageStore, RoomHead, SentRef,
} from "../domain/ports/message-store.js";
import {
  checkRoomId, checkSentByQuery, checkSeq, DEFAULT_CHUNK_LIMITS, deleteOneByOne, pageRange, toMessage, type ChunkLimits, type ChunkSummary, type PageQuery, type StoredMessage,
} from "./message-chunks.js";
import { MongoMessageAppender } from "./mongo-message-append.js";
import { changedSince, changeMessage } from "./mongo-message-change.js";
import { messageModels, roomRev, type ChunkDoc, type KeyDoc } from "./mongo-message-chunks.js";

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

export class MongoMessageStore implements MessageStore {
  private readonly Chunk: Model<ChunkDoc>;
  private readonly Key: Model<KeyDoc>;
  private readonly appender: MongoMessageAppender;

  constructor(private readonly connection: Connection, options: { limits?: Partial<ChunkLimits> } = {}) {
    ({ Chunk: this.Chunk, Key: this.Key } = messageModels(connection));
    this.appender = new MongoMessageAppender(connection, this.Chunk, this.Key, { ...DEFAULT_CHUNK_LIMITS, ...options.limits });
  }

  /**
   * Refuses a standalone server, creates the indexes and gives chunks written before revs their
   * maxRev (each idempotent). Call once before use.
   */
  async init(): Promise<void> {
    const hello = (await this.connection.db!.admin().command({ hello: 1 })) as { setName?: string; msg?: string };
    if (!hello.setName && hello.msg !== "isdbgrid") {
      throw new Error(
        "the MongoDB message store needs a replica set or a sharded cluster (it changes messages in " +
          "multi-document transactions), and this server is standalone: run it as a one-member replica set " +
          "(mongod --replSet rs0, then rs.initiate() once) and name the set in MONGO_URL (?replicaSet=rs0)",
      );
    }
    await this.Chunk.createIndexes();
    await this.Key.createIndexes();
    // Hinted: (roomId, maxRev) holds the chunks without maxRev under null, so after the first run
    // this only seeks past each room's entries instead of scanning the collection at every start.
    await this.Chunk.updateMany({ maxRev: null }, [{ $set: { maxRev: "$lastSeq" } }], { updatePipeline: true, hint: { roomId: 1, maxRev: 1 } });
  }

  append(draft: MessageDraft, now: Date): Promise<AppendResult> {
    return this.appender.append(draft, now);
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

  /** The element of `seq`, or undefined. */
  private async element(roomId: string, seq: number): Promise<StoredMessage | undefined> {
    const doc = await this.Chunk.findOne({ roomId, firstSeq: trusted({ $lte: seq }) }, { messages: { $elemMatch: { seq } } }, { sort: { firstSeq: -1 } }).lean();
    return doc?.messages?.[0];
  }

  async page(roomId: string, q: PageQuery, viewerId?: string): Promise<MessagePage> {
    checkRoomId(roomId);
    pageRange(q, 0);
    const { lo, hi, hasMore } = pageRange(q, await this.lastSeq(roomId));
    if (lo > hi) return { messages: [], hasMore };
    const start = await this.chunkOf(roomId, lo);
    if (!start) return { messages: [], hasMore };
    const chunks = await this.Chunk.find({ roomId, firstSeq: trusted({ $gte: start.firstSeq, $lte: hi }) }, { firstSeq: 1, messages: 1 }, { sort: { firstSeq: 1 } }).lean();
    const messages = chunks.flatMap((c) => c.messages).filter((m) => m.seq >= lo && m.seq <= hi);
    return { messages: messages.map((m) => toMessage(roomId, m, viewerId)), hasMore };
  }

  async get(roomId: string, seq: number, viewerId?: string): Promise<Message | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const m = await this.element(roomId, seq);
    return m ? toMessage(roomId, m, viewerId) : null;
  }

  /** One indexed look-up per seq, in parallel: the seqs asked for (replies, pins) are few and scattered. */
  async getMany(roomId: string, seqs: number[], viewerId?: string): Promise<Message[]> {
    checkRoomId(roomId);
    seqs.forEach(checkSeq);
    const wanted = [...new Set(seqs)].sort((a, b) => a - b);
    const found = await Promise.all(wanted.map((seq) => this.element(roomId, seq)));
    return found.flatMap((m) => (m ? [toMessage(roomId, m, viewerId)] : []));
  }

  async change(roomId: string, seq: number, change: MessageChange, now: Date, viewerId?: string): Promise<ChangeResult | null> {
    const result = await changeMessage(this.Chunk, this.connection, roomId, seq, change, now);
    if (!result) return null;
    return { message: toMessage(roomId, result.after ?? result.before, viewerId), changed: result.after !== null };
  }

  /** One change (one transaction) per message: simple; the PostgreSQL store batches a page. */
  deleteMany(roomId: string, seqs: number[], now: Date): Promise<Message[]> {
    return deleteOneByOne((seq) => this.change(roomId, seq, { kind: "delete" }, now), seqs);
  }

  async changes(roomId: string, q: { afterRev: number; limit: number; maxSeq?: number }, viewerId?: string): Promise<ChangesPage> {
    checkRoomId(roomId);
    checkSeq(q.afterRev);
    if (q.maxSeq !== undefined) checkSeq(q.maxSeq);
    if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new Invalid("limit must be a positive integer", [{ path: "limit", message: "bad limit" }]);
    const { rev, messages: found } = await changedSince(this.Chunk, roomId, q.afterRev, q.limit, q.maxSeq);
    const hasMore = found.length > q.limit;
    const messages = found.slice(0, q.limit).map((m) => toMessage(roomId, m, viewerId));
    return { messages, rev: hasMore ? messages.at(-1)!.rev : rev, hasMore };
  }

  /** Read apart from the messages: one unpinned meanwhile is left out, one pinned meanwhile shows next time. */
  async pinned(roomId: string, viewerId?: string): Promise<Message[]> {
    checkRoomId(roomId);
    const newest = await this.Chunk.findOne({ roomId }, { pins: 1 }, { sort: { firstSeq: -1 } }).lean();
    const pins = newest?.pins ?? [];
    const bySeq = new Map((await this.getMany(roomId, pins, viewerId)).map((m) => [m.seq, m]));
    return [...pins].reverse().flatMap((s) => {
      const m = bySeq.get(s);
      return m?.pinnedAt ? [m] : [];
    });
  }

  async heads(roomIds: string[]): Promise<Map<string, RoomHead>> {
    const out = new Map<string, RoomHead>();
    for (const id of roomIds) {
      checkRoomId(id);
      out.set(id, { lastSeq: 0, rev: 0, lastMessage: null });
    }
    if (out.size === 0) return out;
    type Head = Pick<ChunkDoc, "roomId" | "lastSeq" | "rev" | "messages">;
    // One query over the open chunks (partial index); a room caught between seal and roll has
    // none for a moment, and those few are read from their newest chunk.
    const open = await this.Chunk.find({ roomId: trusted({ $in: [...out.keys()] }), sealed: false }, { roomId: 1, lastSeq: 1, rev: 1, messages: { $slice: -1 } })
      .lean<Head[]>();
    const seen = new Set<string>();
    const put = (c: Head) => {
      seen.add(c.roomId);
      const last = c.messages.at(-1);
      out.set(c.roomId, { lastSeq: c.lastSeq, rev: roomRev(c), lastMessage: last ? toMessage(c.roomId, last) : null });
    };
    open.forEach(put);
    const rest = [...out.keys()].filter((id) => !seen.has(id));
    if (rest.length > 0) {
      const newest = await this.Chunk.aggregate<Head>([
        { $match: { roomId: { $in: rest } } },
        { $sort: { roomId: 1, firstSeq: -1 } },
        {
          $group: {
            _id: "$roomId", roomId: { $first: "$roomId" }, lastSeq: { $first: "$lastSeq" }, rev: { $first: "$rev" }, messages: { $first: { $slice: ["$messages", -1] } },
          },
        },
      ]);
      newest.forEach(put);
    }
    return out;
  }

  /**
   * Through the (messages.senderId, roomId, firstSeq) index: the sender's chunks in room and seq
   * order, unwound to their elements. NOT RUN HERE (no MongoDB server can be had on this machine):
   * it is written to the contract suite, which runs it when MONGO_URL is set. A chunk is read whole
   * for the few of its elements that are the sender's; kept simple rather than fast.
   */
  async sentBy(senderId: string, q: { after?: SentRef; limit: number }): Promise<SentRef[]> {
    checkSentByQuery(senderId, q);
    const after = q.after;
    return this.Chunk.aggregate<SentRef>([
      { $match: { "messages.senderId": senderId, ...(after ? { roomId: { $gte: after.roomId } } : {}) } },
      { $sort: { roomId: 1, firstSeq: 1 } },
      { $unwind: "$messages" },
      {
        $match: {
          "messages.senderId": senderId,
          "messages.clientMsgId": { $type: "string" },
          ...(after ? { $or: [{ roomId: { $gt: after.roomId } }, { roomId: after.roomId, "messages.seq": { $gt: after.seq } }] } : {}),
        },
      },
      { $limit: q.limit },
      { $project: { _id: 0, roomId: 1, seq: "$messages.seq" } },
    ]);
  }

  /** Not part of the port: the room's chunks, oldest first (tests, tools). */
  async chunkSummaries(roomId: string): Promise<ChunkSummary[]> {
    const docs = await this.Chunk.find({ roomId }, { firstSeq: 1, lastSeq: 1, count: 1, bytes: 1, bucket: 1 }, { sort: { firstSeq: 1 } }).lean();
    return docs.map((d) => ({ firstSeq: d.firstSeq, lastSeq: d.lastSeq, count: d.count, bytes: d.bytes, bucket: new Date(d.bucket).toISOString() }));
  }

  /** The connection belongs to the caller. */
  async close(): Promise<void> {}
}
