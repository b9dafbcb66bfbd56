import type { FeedEventType } from "../domain/ports/feed.js";
import type { FeedLog, StoredFeedEvent } from "../domain/ports/feed-log.js";
import type { Prisma } from "./database.js";

interface Row {
  userId: string;
  seq: number;
  type: string;
  roomId: string | null;
  data: unknown;
  at: Date;
}

const toEvent = (r: Row): StoredFeedEvent => ({
  seq: r.seq,
  type: r.type as FeedEventType,
  roomId: r.roomId,
  data: (r.data as Record<string, unknown> | null) ?? null,
  at: r.at,
});

export class PrismaFeedLog implements FeedLog {
  constructor(private readonly prisma: Prisma) {}

  async append(userId: string, type: FeedEventType, data: Record<string, unknown>) {
    const [row] = await this.prisma.$transaction(async (tx) => {
      // The head row's lock is held to commit: events of one user commit in seq order.
      const [head] = await tx.$queryRaw<{ lastSeq: number }[]>`
        INSERT INTO "FeedHead" ("userId", "lastSeq") VALUES (${userId}::uuid, 1)
        ON CONFLICT ("userId") DO UPDATE SET "lastSeq" = "FeedHead"."lastSeq" + 1
        RETURNING "lastSeq"`;
      return tx.$queryRaw<Row[]>`
        INSERT INTO "FeedEvent" ("userId", seq, type, data)
        VALUES (${userId}::uuid, ${head!.lastSeq}, ${type}, ${JSON.stringify(data)}::jsonb)
        RETURNING "userId"::text AS "userId", seq, type, "roomId"::text AS "roomId", data, at`;
    });
    return toEvent(row!);
  }

  async appendRoomUpdates(pairs: { userId: string; roomId: string }[]) {
    if (!pairs.length) return [];
    // Heads are locked in user-id order, the same order every writer uses, so batches cannot deadlock.
    const sorted = [...pairs].sort((a, b) => a.userId.localeCompare(b.userId) || a.roomId.localeCompare(b.roomId));
    const counts = new Map<string, number>();
    for (const p of sorted) counts.set(p.userId, (counts.get(p.userId) ?? 0) + 1);
    const users = [...counts.keys()];
    const rows = await this.prisma.$transaction(async (tx) => {
      const heads = await tx.$queryRaw<{ userId: string; lastSeq: number }[]>`
        INSERT INTO "FeedHead" ("userId", "lastSeq")
        SELECT u, n FROM unnest(${users}::uuid[], ${users.map((u) => counts.get(u)!)}::int[]) AS t(u, n)
        ON CONFLICT ("userId") DO UPDATE SET "lastSeq" = "FeedHead"."lastSeq" + EXCLUDED."lastSeq"
        RETURNING "userId"::text AS "userId", "lastSeq"`;
      const next = new Map(heads.map((h) => [h.userId, h.lastSeq - counts.get(h.userId)! + 1]));
      const seqs = sorted.map((p) => {
        const seq = next.get(p.userId)!;
        next.set(p.userId, seq + 1);
        return seq;
      });
      return tx.$queryRaw<Row[]>`
        INSERT INTO "FeedEvent" ("userId", seq, type, "roomId")
        SELECT u, s, 'room.updated', r FROM unnest(${sorted.map((p) => p.userId)}::uuid[], ${seqs}::int[], ${sorted.map((p) => p.roomId)}::uuid[]) AS t(u, s, r)
        RETURNING "userId"::text AS "userId", seq, type, "roomId"::text AS "roomId", data, at`;
    });
    return rows.map((r) => ({ userId: r.userId, event: toEvent(r) }));
  }

  async read(userId: string, afterSeq: number, limit: number) {
    const [head, rows] = await Promise.all([
      this.prisma.feedHead.findUnique({ where: { userId } }),
      this.prisma.$queryRaw<Row[]>`
        SELECT "userId"::text AS "userId", seq, type, "roomId"::text AS "roomId", data, at FROM "FeedEvent"
        WHERE "userId" = ${userId}::uuid AND seq > ${afterSeq} ORDER BY seq LIMIT ${limit}`,
    ]);
    return { events: rows.map(toEvent), lastSeq: head?.lastSeq ?? 0, trimmedThrough: head?.trimmedThrough ?? 0 };
  }

  async lastSeq(userId: string) {
    return (await this.prisma.feedHead.findUnique({ where: { userId }, select: { lastSeq: true } }))?.lastSeq ?? 0;
  }

  async trim(before: Date) {
    const rows = await this.prisma.$queryRaw<{ n: bigint }[]>`
      WITH gone AS (DELETE FROM "FeedEvent" WHERE at < ${before} RETURNING "userId", seq),
      per_user AS (SELECT "userId", max(seq) AS upto, count(*) AS n FROM gone GROUP BY "userId"),
      moved AS (
        UPDATE "FeedHead" h SET "trimmedThrough" = GREATEST(h."trimmedThrough", p.upto)
        FROM per_user p WHERE h."userId" = p."userId" RETURNING 1
      )
      SELECT coalesce(sum(n), 0)::bigint AS n FROM per_user`;
    return Number(rows[0]?.n ?? 0);
  }
}
