// The write of one group-committed batch of appends (see pg-message-store.ts): plans seqs and
// chunk placement under the head locks the caller holds, then writes it all in one statement.

import type { Message } from "../domain/message.js";
import type { MessageDraft } from "../domain/ports/message-store.js";
import type { Prisma } from "./database.js";
import { bucketOf, storedBytes, toMessage, toStored, type ChunkLimits, type StoredMessage } from "./message-chunks.js";

export type Tx = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];

export interface HeadRow {
  roomId: string;
  lastSeq: number;
  openFirstSeq: number;
  openBucket: Date;
  openCount: number;
  openBytes: number;
}

/** A clientMsgId of the batch is stored already: its key insert came up short. The caller rolls back. */
export class KeyConflict extends Error {}

// Statements here read their batch from jsonb_to_recordset, which the planner always guesses at
// 100 rows; a LIMIT of the exact count gives it the true number, so it joins through the indexes
// (without it, folding tail rows picked a sequential scan of "MessageTail").

/**
 * Plans seqs and chunk placement for the new messages, then writes everything in one statement:
 * messages of the open chunk go to "MessageTail"; a chunk that closes becomes one "MessageChunk"
 * row (its earlier tail rows folded in, then deleted); chunks opened and closed within this batch
 * are inserted whole.
 */
export async function writeBatch<P extends { draft: MessageDraft; now: Date }>(
  tx: Tx,
  heads: HeadRow[],
  fresh: P[],
  limits: ChunkLimits,
  created: Map<P, Message>,
): Promise<void> {
  if (fresh.length === 0) return;
  const { maxCount, maxBytes } = limits;
  // open: the room's open chunk; `stored` when it has tail rows from earlier batches.
  type Open = { stored: boolean; add: StoredMessage[] } | null;
  const rooms = new Map(
    heads.map((h) => [h.roomId, { ...h, openBucket: new Date(h.openBucket).getTime(), last: null as StoredMessage | null, open: (h.openCount > 0 ? { stored: true, add: [] } : null) as Open }]),
  );
  type Closed = { roomId: string; firstSeq: number; lastSeq: number; bucket: string; count: number; bytes: number; add: StoredMessage[] };
  const folds: Closed[] = []; // open chunks with tail rows that close now
  const whole: Closed[] = []; // chunks opened and closed within this batch
  const tails: { roomId: string; seq: number; m: StoredMessage }[] = [];
  const keys: { roomId: string; senderId: string; clientMsgId: string; seq: number }[] = [];
  for (const p of fresh) {
    const h = rooms.get(p.draft.roomId)!;
    const element = toStored(p.draft, h.lastSeq + 1, p.now);
    const bytes = storedBytes(element);
    const bucket = bucketOf(p.now, limits).getTime();
    const fits = h.open !== null && h.openBucket === bucket && h.openCount < maxCount && h.openBytes + bytes <= maxBytes;
    if (!fits) {
      if (h.open) {
        const c = { roomId: h.roomId, firstSeq: h.openFirstSeq, lastSeq: h.lastSeq, bucket: new Date(h.openBucket).toISOString(), count: h.openCount, bytes: h.openBytes, add: h.open.add };
        (h.open.stored ? folds : whole).push(c);
      }
      h.open = { stored: false, add: [] };
      h.openFirstSeq = element.seq;
      h.openBucket = bucket;
      h.openCount = 0;
      h.openBytes = 0;
    }
    h.open!.add.push(element);
    h.lastSeq = element.seq;
    h.openCount++;
    h.openBytes += bytes;
    h.last = element;
    if (p.draft.clientMsgId !== null) keys.push({ roomId: h.roomId, senderId: p.draft.senderId, clientMsgId: p.draft.clientMsgId, seq: element.seq });
    created.set(p, toMessage(h.roomId, element));
  }
  for (const h of rooms.values()) for (const m of h.open?.add ?? []) tails.push({ roomId: h.roomId, seq: m.seq, m });
  const hd = [...rooms.values()].filter((h) => h.last).map(({ open: _, ...h }) => ({ ...h, openBucket: new Date(h.openBucket).toISOString() }));
  const closed = JSON.stringify(folds);
  const [n] = await tx.$queryRaw<{ f: number; bad: number; d: number; w: number; t: number; k: number; h: number }[]>`
    WITH v AS (
      SELECT * FROM jsonb_to_recordset(${closed}::jsonb)
        AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, add jsonb)
      LIMIT ${folds.length}::int
    ), f AS (
      INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
      SELECT v."roomId", v."firstSeq", v."lastSeq", v.bucket, v.count, v.bytes,
        coalesce((SELECT jsonb_agg(t.message ORDER BY t.seq) FROM "MessageTail" t
                  WHERE t."roomId" = v."roomId" AND t.seq BETWEEN v."firstSeq" AND v."lastSeq"), '[]'::jsonb) || v.add
      FROM v
      RETURNING jsonb_array_length(messages) = count AS ok
    ), d AS (
      DELETE FROM "MessageTail" t USING v WHERE t."roomId" = v."roomId" AND t.seq BETWEEN v."firstSeq" AND v."lastSeq"
      RETURNING 1
    ), w AS (
      INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
      SELECT v."roomId", v."firstSeq", v."lastSeq", v.bucket, v.count, v.bytes, v.add
      FROM jsonb_to_recordset(${JSON.stringify(whole)}::jsonb)
        AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, add jsonb)
      RETURNING 1
    ), t AS (
      INSERT INTO "MessageTail" ("roomId", seq, message)
      SELECT v."roomId", v.seq, v.m FROM jsonb_to_recordset(${JSON.stringify(tails)}::jsonb) AS v("roomId" text, seq int, m jsonb)
      RETURNING 1
    ), k AS (
      INSERT INTO "MessageKey" ("roomId", "senderId", "clientMsgId", seq)
      SELECT v."roomId", v."senderId", v."clientMsgId", v.seq
      FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS v("roomId" text, "senderId" text, "clientMsgId" text, seq int)
      ON CONFLICT DO NOTHING
      RETURNING 1
    ), h AS (
      UPDATE "MessageHead" t SET "lastSeq" = v."lastSeq", "lastMessage" = v.last, "openFirstSeq" = v."openFirstSeq",
        "openBucket" = v."openBucket", "openCount" = v."openCount", "openBytes" = v."openBytes"
      FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(hd)}::jsonb) AS v("roomId" text, "lastSeq" int, last jsonb,
        "openFirstSeq" int, "openBucket" timestamptz, "openCount" int, "openBytes" int) LIMIT ${hd.length}::int) v
      WHERE t."roomId" = v."roomId"
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM f)::int AS f, (SELECT count(*) FROM f WHERE NOT ok)::int AS bad,
           (SELECT count(*) FROM d)::int AS d, (SELECT count(*) FROM w)::int AS w, (SELECT count(*) FROM t)::int AS t,
           (SELECT count(*) FROM k)::int AS k, (SELECT count(*) FROM h)::int AS h`;
  if (n && n.k !== keys.length) throw new KeyConflict();
  const folded = folds.reduce((sum, c) => sum + c.count - c.add.length, 0);
  if (!n || n.f !== folds.length || n.bad !== 0 || n.d !== folded || n.w !== whole.length || n.t !== tails.length || n.h !== hd.length) {
    throw new Error(`message chunk write did not match its plan: ${JSON.stringify(n)}`); // rolls back
  }
}
