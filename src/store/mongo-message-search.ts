// MessageSearchIndex on MongoDB through Mongoose (the search beside mongo-message-store.ts).
//
// Collection message_search: { _id: messageId, roomId, seq, createdAt, editedAt, deleted, folded,
// grams, message }, the same row as the PostgreSQL adapter's, with the bigram codes stored
// (MongoDB has no expression indexes). Indexes: (roomId, createdAt, seq) for newest-first walks of
// the caller's rooms, merged across rooms by the planner; multikey (grams, roomId) for rare words.
//
// Why not a MongoDB text index ($text): it splits text into words and stems them per language. It
// cannot find "안녕" inside "안녕하세요" (Korean attaches particles to words; there is no Korean
// stemmer) or "ello" inside "hello", so it would fail the shared contract, which asks for
// substrings in every script. Bigrams are what the PostgreSQL adapter indexes too.
//
// Plan choice: MongoDB's planner races the candidate plans on each query shape and keeps the one
// that yields results first (re-planning when a cached plan degrades), which is the adaptive
// "walk newest first vs. use the word index" choice the PostgreSQL adapter makes by hand.
//
// Injection: the connection has sanitizeFilter on; our own operator objects are marked trusted,
// client text only ever appears as a value ($indexOfCP, never a regular expression).

import mongoose, { Schema, type Connection, type Model } from "mongoose";

import type { Message } from "../domain/message.js";
import { laterVersion, type MessageSearchIndex, type MessageSearchPage, type MessageSearchQuery, type SearchPosition } from "../domain/ports/message-search.js";
import { foldText } from "../domain/search-text.js";

const { trusted } = mongoose;

/** Bigrams a query looks up in the index at most: more only narrow an already small candidate set. */
const QUERY_GRAMS_MAX = 12;

interface SearchDoc {
  _id: string;
  roomId: string;
  seq: number;
  createdAt: Date;
  editedAt: Date | null;
  deleted: boolean;
  folded: string;
  grams: number[];
  message: Message | null;
}

const searchSchema = new Schema<SearchDoc>(
  {
    _id: { type: String, required: true },
    roomId: { type: String, required: true },
    seq: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    editedAt: { type: Date, default: null },
    deleted: { type: Boolean, required: true },
    folded: { type: String, default: "" },
    grams: { type: [Number], default: [] },
    message: { type: Schema.Types.Mixed, default: null },
  },
  { versionKey: false, strict: "throw", collection: "message_search" },
);
searchSchema.index({ roomId: 1, createdAt: -1, seq: -1 });
searchSchema.index({ grams: 1, roomId: 1 });

/**
 * The distinct character bigrams of a folded text, each packed into a non-negative int the same
 * way the PostgreSQL adapter's search_bigrams() does: the second code point in the low 16 bits,
 * the first folded to 15 bits above. Packing may merge rare bigrams: that only adds candidates.
 */
export function bigramCodes(folded: string): number[] {
  const cps = Array.from(folded, (ch) => ch.codePointAt(0)!);
  const codes = new Set<number>();
  for (let i = 0; i + 1 < cps.length; i++) {
    const a = cps[i]!;
    const b = cps[i + 1]!;
    codes.add((((a ^ (a >> 15)) & 0x7fff) << 16) | ((b ^ (b >> 16)) & 0xffff));
  }
  return [...codes];
}

/** Evenly spread picks, so a long query still constrains its start, middle and end. */
const spread = (codes: number[], max: number) =>
  codes.length <= max ? codes : Array.from({ length: max }, (_, i) => codes[Math.floor((i * codes.length) / max)]!);

const isDuplicateKey = (e: unknown) => typeof e === "object" && e !== null && (e as { code?: unknown }).code === 11000;

/** Newest-first order: strictly after `p`. */
const after = (p: SearchPosition) => {
  const createdAt = new Date(p.createdAt);
  return [
    { createdAt: trusted({ $lt: createdAt }) },
    { createdAt, roomId: trusted({ $lt: p.roomId }) },
    { createdAt, roomId: p.roomId, seq: trusted({ $lt: p.seq }) },
  ];
};

export class MongoMessageSearch implements MessageSearchIndex {
  private readonly Search: Model<SearchDoc>;

  constructor(connection: Connection) {
    this.Search = (connection.models.MessageSearch as Model<SearchDoc> | undefined) ?? connection.model<SearchDoc>("MessageSearch", searchSchema);
  }

  /** Creates the collection's indexes (idempotent). Call once before use. */
  async init(): Promise<void> {
    await this.Search.createIndexes();
  }

  async apply(messages: Message[]): Promise<void> {
    const latest = new Map<string, Message>();
    for (const m of messages) {
      const other = latest.get(m.id);
      latest.set(m.id, other ? laterVersion(other, m) : m);
    }
    if (latest.size === 0) return;
    const ops = [...latest.values()].map((m) => {
      const key = { roomId: m.roomId, seq: m.seq, createdAt: new Date(m.createdAt) };
      const editedAt = m.editedAt ? new Date(m.editedAt) : null;
      if (m.deletedAt) {
        // A deletion is final: it overwrites any version and nothing overwrites it.
        return { updateOne: { filter: { _id: m.id }, update: { $set: { ...key, editedAt, deleted: true, folded: "", grams: [], message: null } }, upsert: true } };
      }
      const folded = foldText(m.text);
      // laterVersion() as a filter: not deleted, and no later edit stored. When a stored version
      // wins, the filter misses and the upsert's insert hits the _id: a duplicate-key error, ignored.
      const older = editedAt ? [{ editedAt: null }, { editedAt: trusted({ $lte: editedAt }) }] : [{ editedAt: null }];
      return {
        updateOne: {
          filter: { _id: m.id, deleted: trusted({ $ne: true }), $or: older },
          update: { $set: { ...key, editedAt, deleted: false, folded, grams: bigramCodes(folded), message: m } },
          upsert: true,
        },
      };
    });
    try {
      await this.Search.bulkWrite(ops as never, { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: unknown[] }).writeErrors;
      if (!Array.isArray(writeErrors) || !writeErrors.every((e) => isDuplicateKey(e) || isDuplicateKey((e as { err?: unknown }).err))) throw error;
    }
  }

  async search(query: MessageSearchQuery): Promise<MessageSearchPage> {
    const rooms = [...new Set(query.roomIds)];
    const needle = foldText(query.text);
    if (rooms.length === 0 || needle.length === 0) return { hits: [], hasMore: false };
    const grams = spread(bigramCodes(needle), QUERY_GRAMS_MAX);
    const filter: Record<string, unknown> = {
      roomId: trusted({ $in: rooms }),
      deleted: false,
      $expr: trusted({ $gte: [{ $indexOfCP: ["$folded", { $literal: needle }] }, 0] }),
    };
    if (grams.length > 0) filter.grams = trusted({ $all: grams });
    if (query.after) filter.$or = after(query.after);
    const docs = await this.Search.find(filter, { message: 1 }, { sort: { createdAt: -1, roomId: -1, seq: -1 }, limit: query.limit + 1 }).lean();
    const hits = docs.map((d) => d.message!).filter(Boolean);
    return { hits: hits.slice(0, query.limit), hasMore: hits.length > query.limit };
  }

  /** The connection belongs to the caller. */
  async close(): Promise<void> {}
}
