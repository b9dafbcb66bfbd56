// The write of one group-committed batch of appends (see pg-message-store.ts): plans seqs and
// chunk placement from the room heads the batch starts from (read under their row locks, or
// remembered from this process's previous batch), then writes it all in one self-checking statement.

import type { Message } from "../domain/message.js";
import type { MessageDraft } from "../domain/ports/message-store.js";
import { Prisma as Sql } from "./generated/prisma/client.js";
import { bucketOf, storedBytes, toMessage, toStored, type ChunkLimits, type StoredMessage } from "./message-chunks.js";

export interface HeadRow {
  roomId: string;
  lastSeq: number;
  openFirstSeq: number;
  openBucket: Date;
  openCount: number;
  openBytes: number;
}

// Statements here read their batch from jsonb_to_recordset, which the planner always guesses at
// 100 rows; a LIMIT of the exact count gives it the true number, so it joins through the indexes
// (without it, folding tail rows picked a sequential scan of "MessageTail").

/** What one batch writes: planned from the heads it starts from, checked by the statement itself. */
export interface BatchPlan {
  folds: Closed[]; // open chunks with tail rows that close now
  whole: Closed[]; // chunks opened and closed within this batch
  tails: { roomId: string; seq: number; m: StoredMessage }[];
  keys: { roomId: string; senderId: string; clientMsgId: string; seq: number }[];
  /** The heads after the batch, each with the lastSeq it was planned from. */
  heads: (HeadRow & { expectedLastSeq: number; last: StoredMessage })[];
}

type Closed = { roomId: string; firstSeq: number; lastSeq: number; bucket: string; count: number; bytes: number; add: StoredMessage[] };

/**
 * Plans seqs and chunk placement for the new messages: messages of the open chunk go to
 * "MessageTail"; a chunk that closes becomes one "MessageChunk" row (its earlier tail rows folded
 * in, then deleted); chunks opened and closed within this batch are inserted whole.
 * `created` receives each new message.
 */
export function planBatch<P extends { draft: MessageDraft; now: Date }>(
  heads: HeadRow[],
  fresh: P[],
  limits: ChunkLimits,
  created: Map<P, Message>,
): BatchPlan {
  const { maxCount, maxBytes } = limits;
  // open: the room's open chunk; `stored` when it has tail rows from earlier batches.
  type Open = { stored: boolean; add: StoredMessage[] } | null;
  const rooms = new Map(
    heads.map((h) => [h.roomId, { ...h, expectedLastSeq: h.lastSeq, openBucket: new Date(h.openBucket).getTime(), last: null as StoredMessage | null, open: (h.openCount > 0 ? { stored: true, add: [] } : null) as Open }]),
  );
  const plan: BatchPlan = { folds: [], whole: [], tails: [], keys: [], heads: [] };
  for (const p of fresh) {
    const h = rooms.get(p.draft.roomId)!;
    const element = toStored(p.draft, h.lastSeq + 1, p.now);
    const bytes = storedBytes(element);
    const bucket = bucketOf(p.now, limits).getTime();
    const fits = h.open !== null && h.openBucket === bucket && h.openCount < maxCount && h.openBytes + bytes <= maxBytes;
    if (!fits) {
      if (h.open) {
        const c = { roomId: h.roomId, firstSeq: h.openFirstSeq, lastSeq: h.lastSeq, bucket: new Date(h.openBucket).toISOString(), count: h.openCount, bytes: h.openBytes, add: h.open.add };
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
    h.openCount++;
    h.openBytes += bytes;
    h.last = element;
    if (p.draft.clientMsgId !== null) plan.keys.push({ roomId: h.roomId, senderId: p.draft.senderId, clientMsgId: p.draft.clientMsgId, seq: element.seq });
    created.set(p, toMessage(h.roomId, element));
  }
  for (const h of rooms.values()) {
    for (const m of h.open?.add ?? []) plan.tails.push({ roomId: h.roomId, seq: m.seq, m });
    const { open: _, last, ...head } = h;
    if (last) plan.heads.push({ ...head, last, openBucket: new Date(h.openBucket) });
  }
  return plan;
}

/** Runs one statement: inside a transaction, or as its own transaction. */
export type RunStatement = (statement: Sql.Sql) => Promise<unknown>;

/**
 * Writes a plan in one statement that checks itself and aborts (message_write_guard, SQLSTATE
 * 40001) unless everything landed as planned:
 * - first it locks the heads, in roomId order like every writer, and writes nothing unless each is
 *   still at the lastSeq the plan started from (`ready`: every write below waits for it, so no row
 *   is inserted before all head locks are held, and two writers never deadlock);
 * - every clientMsgId key was new (ON CONFLICT DO NOTHING comes up short otherwise);
 * - every folded tail row is the version this statement read: a concurrent edit of a row being
 *   folded shows as a difference between the snapshot (src) and what DELETE removed (d, which
 *   follows the row's update chain), and would otherwise be lost.
 * So it is safe without the heads' row locks, as its own transaction; under them it cannot fail
 * on the heads. Aborting leaves nothing behind.
 */
export async function writePlan(run: RunStatement, plan: BatchPlan): Promise<void> {
  const { folds, whole, tails, keys, heads } = plan;
  const folded = folds.reduce((sum, c) => sum + c.count - c.add.length, 0);
  const hd = heads.map((h) => ({ ...h, openBucket: h.openBucket.toISOString() }));
  await run(Sql.sql`
    WITH hv AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(hd)}::jsonb) AS v("roomId" text, "expectedLastSeq" int, "lastSeq" int,
        last jsonb, "openFirstSeq" int, "openBucket" timestamptz, "openCount" int, "openBytes" int)
      LIMIT ${hd.length}::int
    ), lk AS (
      SELECT "roomId", "lastSeq" FROM "MessageHead" WHERE "roomId" IN (SELECT "roomId" FROM hv) ORDER BY "roomId" FOR NO KEY UPDATE
    ), ready AS (
      SELECT count(*) = ${hd.length}::int AS ok FROM lk JOIN hv ON hv."roomId" = lk."roomId" AND hv."expectedLastSeq" = lk."lastSeq"
    ), v AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(folds)}::jsonb)
        AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, add jsonb)
      LIMIT ${folds.length}::int
    ), src AS (
      SELECT t."roomId", t.seq, t.message FROM "MessageTail" t JOIN v ON t."roomId" = v."roomId" AND t.seq BETWEEN v."firstSeq" AND v."lastSeq"
    ), f AS (
      INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
      SELECT v."roomId", v."firstSeq", v."lastSeq", v.bucket, v.count, v.bytes,
        coalesce((SELECT jsonb_agg(s.message ORDER BY s.seq) FROM src s
                  WHERE s."roomId" = v."roomId" AND s.seq BETWEEN v."firstSeq" AND v."lastSeq"), '[]'::jsonb) || v.add
      FROM v WHERE (SELECT ok FROM ready)
      RETURNING jsonb_array_length(messages) = count AS ok
    ), d AS (
      DELETE FROM "MessageTail" t USING v WHERE t."roomId" = v."roomId" AND t.seq BETWEEN v."firstSeq" AND v."lastSeq" AND (SELECT ok FROM ready)
      RETURNING t."roomId", t.seq, t.message
    ), w AS (
      INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
      SELECT v."roomId", v."firstSeq", v."lastSeq", v.bucket, v.count, v.bytes, v.add
      FROM jsonb_to_recordset(${JSON.stringify(whole)}::jsonb)
        AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, add jsonb)
      WHERE (SELECT ok FROM ready)
      RETURNING 1
    ), t AS (
      INSERT INTO "MessageTail" ("roomId", seq, message)
      SELECT v."roomId", v.seq, v.m FROM jsonb_to_recordset(${JSON.stringify(tails)}::jsonb) AS v("roomId" text, seq int, m jsonb)
      WHERE (SELECT ok FROM ready)
      RETURNING 1
    ), k AS (
      INSERT INTO "MessageKey" ("roomId", "senderId", "clientMsgId", seq)
      SELECT v."roomId", v."senderId", v."clientMsgId", v.seq
      FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS v("roomId" text, "senderId" text, "clientMsgId" text, seq int)
      WHERE (SELECT ok FROM ready)
      ON CONFLICT DO NOTHING
      RETURNING 1
    ), h AS (
      UPDATE "MessageHead" t SET "lastSeq" = v."lastSeq", "lastMessage" = v.last, "openFirstSeq" = v."openFirstSeq",
        "openBucket" = v."openBucket", "openCount" = v."openCount", "openBytes" = v."openBytes"
      FROM hv v
      WHERE t."roomId" = v."roomId" AND t."lastSeq" = v."expectedLastSeq" AND (SELECT ok FROM ready)
      RETURNING 1
    ), n AS (
      SELECT (SELECT ok FROM ready) AS ready,
             (SELECT count(*) FROM f)::int AS f, (SELECT count(*) FROM f WHERE NOT ok)::int AS bad,
             (SELECT count(*) FROM d)::int AS d,
             (SELECT count(*) FROM d LEFT JOIN src s ON s."roomId" = d."roomId" AND s.seq = d.seq
              WHERE s.message IS DISTINCT FROM d.message)::int AS moved,
             (SELECT count(*) FROM w)::int AS w, (SELECT count(*) FROM t)::int AS t,
             (SELECT count(*) FROM k)::int AS k, (SELECT count(*) FROM h)::int AS h
    )
    SELECT message_write_guard(
      n.ready AND n.f = ${folds.length}::int AND n.bad = 0 AND n.d = ${folded}::int AND n.moved = 0 AND n.w = ${whole.length}::int
        AND n.t = ${tails.length}::int AND n.k = ${keys.length}::int AND n.h = ${hd.length}::int,
      row_to_json(n)::text) AS ok
    FROM n`);
}
