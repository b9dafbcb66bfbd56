// The write of one group-committed batch of appends (see pg-message-store.ts): plans seqs and
// chunk placement from the room heads the batch starts from (read under their row locks, or
// remembered from this process's previous batch), then writes it all, the new messages' mention
// and reply index rows included, in one call of the message_append function.

import type { Message } from "../domain/message.js";
import type { MessageDraft } from "../domain/ports/message-store.js";
import { Prisma as Sql } from "./generated/prisma/client.js";
import { bucketOf, checkReplyTarget, storedBytes, toMessage, toStored, type ChunkLimits, type StoredMessage } from "./message-chunks.js";

export interface HeadRow {
  roomId: string;
  lastSeq: number;
  rev: number;
  openFirstSeq: number;
  openBucket: Date;
  openCount: number;
  openBytes: number;
}

/** What one batch writes: planned from the heads it starts from, checked by message_batch_write. */
export interface BatchPlan {
  folds: Closed[]; // open chunks with tail rows that close now
  whole: Closed[]; // chunks opened and closed within this batch
  tails: { roomId: string; seq: number; m: StoredMessage }[];
  keys: { roomId: string; senderId: string; clientMsgId: string; seq: number }[];
  /** The new messages' index rows (MessageDraft.mentioned, replyToSeq), written in the same statement. */
  mentions: { userId: string; roomId: string; seq: number; senderId: string; createdAt: string }[];
  replies: { roomId: string; toSeq: number; seq: number }[];
  /** The heads after the batch, each with the lastSeq and rev it was planned from. */
  heads: (HeadRow & { expectedLastSeq: number; expectedRev: number; last: StoredMessage })[];
}

/** maxRev: the highest rev among `add` (the statement raises it to its tail rows' highest). */
type Closed = { roomId: string; firstSeq: number; lastSeq: number; bucket: string; count: number; bytes: number; maxRev: number; add: StoredMessage[] };

/**
 * Plans seqs and chunk placement for the new messages: messages of the open chunk go to
 * "MessageTail"; a chunk that closes becomes one "MessageChunk" row (its earlier tail rows folded
 * in, then deleted); chunks opened and closed within this batch are inserted whole.
 * `created` receives each new message; `refused`, when given, each draft answering a seq the room
 * has not reached (not planned).
 */
export function planBatch<P extends { draft: MessageDraft; now: Date }>(
  heads: HeadRow[],
  fresh: P[],
  limits: ChunkLimits,
  created: Map<P, Message>,
  foldSpread = 0,
  refused?: Map<P, unknown>,
): BatchPlan {
  const { maxBytes } = limits;
  // open: the room's open chunk; `stored` when it has tail rows from earlier batches.
  type Open = { stored: boolean; add: StoredMessage[] } | null;
  const rooms = new Map(
    heads.map((h) => [h.roomId, { ...h, expectedLastSeq: h.lastSeq, expectedRev: h.rev, openBucket: new Date(h.openBucket).getTime(), last: null as StoredMessage | null, open: (h.openCount > 0 ? { stored: true, add: [] } : null) as Open }]),
  );
  const plan: BatchPlan = { folds: [], whole: [], tails: [], keys: [], mentions: [], replies: [], heads: [] };
  for (const p of fresh) {
    const h = rooms.get(p.draft.roomId)!;
    if (refused) {
      try {
        // Seqs are gap-free and messages are never removed: every seq up to lastSeq is a message.
        checkReplyTarget(p.draft.replyToSeq, h.lastSeq);
      } catch (error) {
        refused.set(p, error);
        continue;
      }
    }
    const element = toStored(p.draft, h.lastSeq + 1, p.now, h.rev + 1);
    const bytes = storedBytes(element);
    const bucket = bucketOf(p.now, limits).getTime();
    const fits = h.open !== null && h.openBucket === bucket && h.openCount < closesAt(h.roomId, h.openFirstSeq, limits.maxCount, foldSpread) && h.openBytes + bytes <= maxBytes;
    if (!fits) {
      if (h.open) {
        const maxRev = h.open.add.reduce((r, m) => Math.max(r, m.rev ?? 0), 0);
        const c = { roomId: h.roomId, firstSeq: h.openFirstSeq, lastSeq: h.lastSeq, bucket: new Date(h.openBucket).toISOString(), count: h.openCount, bytes: h.openBytes, maxRev, add: h.open.add };
        (h.open.stored ? plan.folds : plan.whole).push(c);
      }
      h.open = { stored: false, add: [] };
      h.openFirstSeq = element.seq;
      h.openBucket = bucket;
      h.openCount = 0;
      h.openBytes = 0;
    }
    h.open!.add.push(element);
    h.lastSeq = element.seq;
    h.rev = element.rev!;
    h.openCount++;
    h.openBytes += bytes;
    h.last = element;
    if (p.draft.clientMsgId !== null) plan.keys.push({ roomId: h.roomId, senderId: p.draft.senderId, clientMsgId: p.draft.clientMsgId, seq: element.seq });
    for (const userId of p.draft.mentioned ?? []) plan.mentions.push({ userId, roomId: h.roomId, seq: element.seq, senderId: p.draft.senderId, createdAt: element.createdAt });
    if (p.draft.replyToSeq !== undefined) plan.replies.push({ roomId: h.roomId, toSeq: p.draft.replyToSeq, seq: element.seq });
    created.set(p, toMessage(h.roomId, element));
  }
  for (const h of rooms.values()) {
    for (const m of h.open?.add ?? []) plan.tails.push({ roomId: h.roomId, seq: m.seq, m });
    const { open: _, last, ...head } = h;
    if (last) plan.heads.push({ ...head, last, openBucket: new Date(h.openBucket) });
  }
  return plan;
}

/**
 * The count at which the chunk of `roomId` starting at `firstSeq` closes: maxCount, less up to
 * `spread` of it, picked by a hash of the two. Closing a chunk folds its tail rows (~1 ms of
 * PostgreSQL's time per 100-message chunk), and rooms created together that fill at one pace (a
 * benchmark, a class, a launch) would otherwise all fold within the same ~100 ms: measured at
 * 1,500 msgs/s over 100 rooms, a 140–200 ms ack stall each time every room reached 100 messages.
 * Kafka jitters its segment rolls for the same reason (segment.jitter.ms). A hash, not a random
 * draw, so every writer of a room plans the same boundaries.
 */
export function closesAt(roomId: string, firstSeq: number, maxCount: number, spread: number): number {
  const range = Math.floor(maxCount * spread);
  if (range <= 0) return maxCount;
  let h = 0x811c9dc5 ^ firstSeq; // FNV-1a over the room id, seeded with the seq
  for (let i = 0; i < roomId.length; i++) h = Math.imul(h ^ roomId.charCodeAt(i), 0x01000193);
  return maxCount - ((h >>> 0) % (range + 1));
}

/** Runs one statement: inside a transaction, or as its own transaction. */
export type RunStatement = (statement: Sql.Sql) => Promise<unknown>;

/**
 * Writes a plan in one call of message_append: message_batch_write (its migration says how) plus
 * the new messages' mention and reply rows. It locks the heads in roomId order and aborts (SQLSTATE
 * 40001), leaving nothing, unless each is still at the lastSeq the plan started from and every
 * clientMsgId key is new. So it is safe without the heads' row locks, as its own transaction;
 * under them it cannot fail on the heads.
 */
export async function writePlan(run: RunStatement, plan: BatchPlan): Promise<void> {
  await run(Sql.sql`SELECT message_append(${planArguments(plan)}) AS rooms`);
}

/** The plan as message_append's seven arguments (message_commit takes the same seven first). */
export function planArguments(plan: BatchPlan): Sql.Sql {
  const { folds, whole, tails, keys, heads, mentions, replies } = plan;
  const hd = heads.map((h) => ({ ...h, openBucket: h.openBucket.toISOString() }));
  return Sql.sql`${JSON.stringify(hd)}::jsonb, ${JSON.stringify(folds)}::jsonb,
    ${JSON.stringify(whole)}::jsonb, ${JSON.stringify(tails)}::jsonb, ${JSON.stringify(keys)}::jsonb,
    ${JSON.stringify(mentions)}::jsonb, ${JSON.stringify(replies)}::jsonb`;
}
