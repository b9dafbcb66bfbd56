// The PostgreSQL message store's reads (pg-message-store.ts), as statements: a page by seq, one or
// several messages by seq, and the messages changed after a rev. Each is one statement, so one
// snapshot: a chunk folding meanwhile is invisible.

import { Prisma as Sql } from "./generated/prisma/client.js";

/**
 * The room's lastSeq and the messages of the page pageRange() (message-chunks.ts) gives for this
 * query, computed next to the head row so the page is one round trip. `before`/`after` fit an int4.
 */
export const pageOf = (roomId: string, before: number | null, after: number | null, limit: number) => Sql.sql`
  WITH h AS (
    SELECT coalesce(max("lastSeq"), 0) AS last FROM "MessageHead" WHERE "roomId" = ${roomId}
  ), c AS (
    SELECT last, least(coalesce(${before}::int - 1, last), last) AS ceil FROM h
  ), r AS (
    SELECT last,
      CASE WHEN ${after}::int IS NULL THEN greatest(1, ceil - ${limit}::int + 1) ELSE greatest(${after}::int, 0) + 1 END AS lo,
      CASE WHEN ${after}::int IS NULL THEN ceil ELSE least(greatest(${after}::int, 0) + ${limit}::int, ceil) END AS hi
    FROM c
  )
  SELECT r.last, (
    SELECT jsonb_agg(x.m ORDER BY x.seq) FROM (
      SELECT e.m, ch."firstSeq" + e.i - 1 AS seq
      FROM "MessageChunk" ch CROSS JOIN LATERAL jsonb_array_elements(ch.messages) WITH ORDINALITY AS e(m, i)
      WHERE ch."roomId" = ${roomId} AND ch."firstSeq" <= r.hi AND ch."lastSeq" >= r.lo
        AND ch."firstSeq" >= (SELECT max(y."firstSeq") FROM "MessageChunk" y WHERE y."roomId" = ${roomId} AND y."firstSeq" <= r.lo)
        AND ch."firstSeq" + e.i - 1 BETWEEN r.lo AND r.hi
      UNION ALL
      SELECT t.message, t.seq FROM "MessageTail" t WHERE t."roomId" = ${roomId} AND t.seq BETWEEN r.lo AND r.hi
    ) x
  ) AS messages FROM r`;

/** The message `seq` of a room: a tail row, or the element of the chunk holding it. One snapshot, so a concurrent fold is invisible. */
export const lookup = (roomId: string, seq: number) => Sql.sql`
  SELECT coalesce(
    (SELECT message FROM "MessageTail" WHERE "roomId" = ${roomId} AND seq = ${seq}::int),
    (SELECT messages -> (${seq}::int - "firstSeq") FROM "MessageChunk"
     WHERE "roomId" = ${roomId} AND "firstSeq" <= ${seq}::int AND "lastSeq" >= ${seq}::int ORDER BY "firstSeq" DESC LIMIT 1)
  ) AS m`;

/** The message of each (room, seq) pair, keyed `roomId:seq` (m null when not stored), in one snapshot. */
export const lookupPairs = (pairs: { r: string; q: number }[]) => Sql.sql`
  SELECT s.r || ':' || s.q AS k, coalesce(
    (SELECT message FROM "MessageTail" t WHERE t."roomId" = s.r AND t.seq = s.q),
    (SELECT messages -> (s.q - c."firstSeq") FROM "MessageChunk" c
     WHERE c."roomId" = s.r AND c."firstSeq" <= s.q AND c."lastSeq" >= s.q ORDER BY c."firstSeq" DESC LIMIT 1)
  ) AS m
  FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) AS x(r text, q int) LIMIT ${pairs.length}::int) s`;

/** The messages of these seqs (any order, missing ones left out), in one snapshot. */
export const lookupMany = (roomId: string, seqs: number[]) => Sql.sql`
  WITH s AS (SELECT DISTINCT v::int AS seq FROM jsonb_array_elements_text(${JSON.stringify(seqs)}::jsonb) v LIMIT ${seqs.length}::int)
  SELECT t.message AS m FROM "MessageTail" t JOIN s ON t."roomId" = ${roomId} AND t.seq = s.seq
  UNION ALL
  SELECT c.messages -> (s.seq - c."firstSeq") FROM s
  JOIN LATERAL (SELECT "firstSeq", messages FROM "MessageChunk" WHERE "roomId" = ${roomId} AND "firstSeq" <= s.seq AND "lastSeq" >= s.seq
                ORDER BY "firstSeq" DESC LIMIT 1) c ON true`;

/**
 * Messages with rev > afterRev (and seq <= maxSeq), ascending by rev, at most limit + 1 of them,
 * with the room's rev, in one snapshot. Closed chunks are found through ("roomId", "maxRev"); the
 * open chunk's tail rows (fewer than a chunk's cap) are read whole. Elements without a rev were
 * stored before it existed and count as rev = seq.
 */
export const changedSince = (roomId: string, afterRev: number, limit: number, maxSeq: number | null) => Sql.sql`
  WITH e AS (
    SELECT t.message AS m, coalesce((t.message ->> 'rev')::int, t.seq) AS rev, t.seq FROM "MessageTail" t WHERE t."roomId" = ${roomId}
    UNION ALL
    SELECT x.m, coalesce((x.m ->> 'rev')::int, (x.m ->> 'seq')::int), (x.m ->> 'seq')::int
    FROM "MessageChunk" c CROSS JOIN LATERAL jsonb_array_elements(c.messages) AS x(m)
    WHERE c."roomId" = ${roomId} AND c."maxRev" > ${afterRev}::int
  )
  SELECT (SELECT rev FROM "MessageHead" WHERE "roomId" = ${roomId}) AS rev,
    (SELECT jsonb_agg(z.m ORDER BY z.rev) FROM (
      SELECT m, rev FROM e WHERE rev > ${afterRev}::int AND (${maxSeq}::int IS NULL OR seq <= ${maxSeq}::int) ORDER BY rev LIMIT ${limit + 1}::int
    ) z) AS messages`;


/**
 * A page of the sender's keyed messages in every room, through MessageKey's (senderId, roomId,
 * seq) index: an index range scan from the cursor, whatever the number of the sender's messages.
 */
export const sentByPage = (senderId: string, after: { roomId: string; seq: number } | null, limit: number) => Sql.sql`
  SELECT "roomId", seq FROM "MessageKey"
  WHERE "senderId" = ${senderId} ${after ? Sql.sql`AND ("roomId", seq) > (${after.roomId}, ${after.seq}::int)` : Sql.empty}
  ORDER BY "roomId", seq LIMIT ${limit}::int`;
