// Changing stored messages in the MongoDB message store (mongo-message-store.ts), and reading them
// back by rev. The room's rev and pinned seqs live in its newest chunk (see the store's header).
//
// A change (edit, delete, reaction, pin) is one transaction. Its FIRST statement moves the rev in
// the newest chunk: from then on appends to that chunk wait for the transaction, and another change
// or roll-over that writes it aborts on the write conflict and is retried (the FOR UPDATE of the
// PostgreSQL store). Then it reads the element, applies the change in JavaScript (applyChange in
// message-chunks.ts: the same rules in every adapter) and writes it back with that rev, raising its
// chunk's maxRev; pins go to the newest chunk. A change that is already in effect, or a seq the
// room does not have, aborts the transaction: nothing is written and the rev stays.

import mongoose, { type Connection, type Model } from "mongoose";

import type { MessageChange } from "../domain/ports/message-store.js";
import { applyChange, checkRoomId, checkSeq, pinsAfter, storedBytes, type StoredMessage } from "./message-chunks.js";
import { inTransaction, roomRev, type ChunkDoc } from "./mongo-message-chunks.js";

const { trusted } = mongoose;

type Head = Pick<ChunkDoc, "firstSeq" | "lastSeq" | "rev" | "pins" | "messages"> & { _id: unknown };

/** The message before and after, or null when the room has no such message; `after` null: nothing changed. */
export async function changeMessage(
  Chunk: Model<ChunkDoc>,
  connection: Connection,
  roomId: string,
  seq: number,
  change: MessageChange,
  now: Date,
): Promise<{ before: StoredMessage; after: StoredMessage | null } | null> {
  checkRoomId(roomId);
  checkSeq(seq);
  if (seq < 1) return null;
  return inTransaction(connection, async (session) => {
    const head = await Chunk.findOneAndUpdate({ roomId }, [{ $set: { rev: { $add: [{ $ifNull: ["$rev", "$lastSeq"] }, 1] } } }], {
      sort: { firstSeq: -1 },
      updatePipeline: true,
      returnDocument: "after",
      projection: { firstSeq: 1, lastSeq: 1, rev: 1, pins: 1, messages: { $elemMatch: { seq } } },
      session,
    }).lean<Head>();
    if (!head || seq > head.lastSeq) {
      await session.abortTransaction();
      return null;
    }
    const chunk = seq >= head.firstSeq
      ? head
      : await Chunk.findOne({ roomId, firstSeq: trusted({ $lte: seq }) }, { firstSeq: 1, messages: { $elemMatch: { seq } } }, { sort: { firstSeq: -1 }, session })
        .lean<Pick<ChunkDoc, "firstSeq" | "messages">>();
    const before = chunk?.messages?.[0];
    if (!chunk || !before) throw new Error(`message ${roomId}:${seq} is below the room's lastSeq but not stored`);
    const rev = head.rev!;
    const after = applyChange(before, change, rev, now);
    if (!after) {
      await session.abortTransaction();
      return { before, after: null };
    }
    // Chunks are gap-free, so the element's index is its offset from firstSeq; the filter re-checks it.
    const i = seq - chunk.firstSeq;
    const written = await Chunk.updateOne(
      { roomId, firstSeq: chunk.firstSeq, [`messages.${i}.seq`]: seq },
      { $set: { [`messages.${i}`]: after }, $inc: { bytes: storedBytes(after) - storedBytes(before) }, $max: { maxRev: rev } },
      { session },
    );
    if (written.matchedCount !== 1) throw new Error(`message ${roomId}:${seq} is not at index ${i} of its chunk`);
    const pins = head.pins ?? [];
    const nextPins = pinsAfter(pins, before, after);
    if (nextPins.join() !== pins.join()) await Chunk.updateOne({ _id: head._id }, { $set: { pins: nextPins } }, { session });
    return { before, after };
  });
}

/**
 * The room's rev, and its messages with afterRev < rev <= that rev (and seq <= maxSeq), ascending
 * by rev, at most limit + 1. Chunks are found through (roomId, maxRev), so only chunks changed
 * after afterRev are read. The two reads are not one snapshot, so the rev is read first: a rev is
 * visible only once its step has committed, and each step committed before the next one could
 * write the newest chunk, so everything up to it is in the chunks read next. A message changed
 * again in between shows a rev above it: it is left out here, and the next call finds it there.
 */
export async function changedSince(
  Chunk: Model<ChunkDoc>,
  roomId: string,
  afterRev: number,
  limit: number,
  maxSeq: number | undefined,
): Promise<{ rev: number; messages: StoredMessage[] }> {
  const rev = roomRev(await Chunk.findOne({ roomId }, { lastSeq: 1, rev: 1 }, { sort: { firstSeq: -1 } }).lean<Pick<ChunkDoc, "lastSeq" | "rev">>());
  if (rev <= afterRev) return { rev, messages: [] };
  const wanted: Record<string, unknown> = { _rev: { $gt: afterRev, $lte: rev } };
  if (maxSeq !== undefined) wanted.seq = { $lte: maxSeq };
  // Aggregations are not sanitized; every value here is a checked string or number.
  const messages = await Chunk.aggregate<StoredMessage>([
    { $match: { roomId, maxRev: { $gt: afterRev } } },
    { $unwind: "$messages" },
    { $replaceWith: "$messages" },
    { $set: { _rev: { $ifNull: ["$rev", "$seq"] } } },
    { $match: wanted },
    { $sort: { _rev: 1 } },
    { $limit: limit + 1 },
    { $unset: "_rev" },
  ]);
  return { rev, messages };
}
