import DataLoader from "dataloader";

import { mentionCountKey, type MentionIndex, type MentionRef } from "../domain/ports/mention-index.js";
import { statementRunner, type PlainSql, type Prisma, type StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";

/**
 * MentionIndex on the "Mention" table (prisma/schema.prisma). Blocks are applied when reading, so
 * an unblock brings mentions back. Its statements go past Prisma's query layer when given a pool
 * (Database.sql): a mention is written on the send path, and the mentions of one tick (a group
 * commit's messages resolve together) go into one statement: a transaction per mentioning message
 * was a sixth of PostgreSQL's commits in the mixed benchmark (docs/performance.md, 2026-12-06).
 */
export class PrismaMentionIndex implements MentionIndex {
  private readonly run: StatementRunner;
  private readonly writes = new DataLoader<MentionRow, true, MentionRow>((rows) => this.insert(rows), { cache: false, maxBatchSize: 1_000 });

  constructor(prisma: Prisma, sql?: PlainSql | null) {
    this.run = statementRunner(prisma, sql);
  }

  async record(roomId: string, seq: number, senderId: string, userIds: string[], createdAt: Date): Promise<void> {
    if (userIds.length === 0) return;
    await this.writes.load({ roomId, seq, senderId, userIds, createdAt: createdAt.toISOString() });
  }

  private async insert(rows: readonly MentionRow[]): Promise<true[]> {
    const flat = rows.flatMap((r) => r.userIds.map((userId) => ({ ...r, userIds: undefined, userId })));
    await this.run(Sql.sql`
      INSERT INTO "Mention" ("userId", "roomId", seq, "senderId", "createdAt")
      SELECT m."userId", m."roomId", m.seq, m."senderId", m."createdAt"
      FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(flat)}::jsonb)
              AS x("userId" uuid, "roomId" text, seq int, "senderId" uuid, "createdAt" timestamptz) LIMIT ${flat.length}::int) m
      ON CONFLICT DO NOTHING`);
    return rows.map(() => true);
  }

  async remove(roomId: string, seq: number): Promise<void> {
    await this.run(Sql.sql`DELETE FROM "Mention" WHERE "roomId" = ${roomId} AND seq = ${seq}::int`);
  }

  async list(userId: string, query: { before?: MentionRef; limit: number }): Promise<MentionRef[]> {
    const b = query.before;
    // Newest first; within one millisecond by room, then the later seq first. The cursor condition
    // is that order's "after": the next page starts exactly after the cursor.
    return this.run<MentionRef>(Sql.sql`
      SELECT m."roomId", m.seq, m."createdAt" FROM "Mention" m
      WHERE m."userId" = ${userId}::uuid
        AND NOT EXISTS (SELECT 1 FROM "Block" b WHERE b."blockerId" = m."userId" AND b."blockedId" = m."senderId")
        AND (${b?.createdAt ?? null}::timestamptz IS NULL
             OR m."createdAt" < ${b?.createdAt ?? null}::timestamptz
             OR (m."createdAt" = ${b?.createdAt ?? null}::timestamptz
                 AND (m."roomId" > ${b?.roomId ?? ""} OR (m."roomId" = ${b?.roomId ?? ""} AND m.seq < ${b?.seq ?? 0}::int))))
      ORDER BY m."createdAt" DESC, m."roomId", m.seq DESC
      LIMIT ${query.limit}::int`);
  }

  async unreadCounts(pairs: { userId: string; roomId: string; afterSeq: number }[]): Promise<Map<string, number>> {
    if (pairs.length === 0) return new Map();
    const rows = await this.run<{ userId: string; roomId: string; n: number }>(Sql.sql`
      SELECT m."userId", m."roomId", count(*)::int AS n
      FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) AS v("userId" uuid, "roomId" text, "afterSeq" int) LIMIT ${pairs.length}::int) v
      JOIN "Mention" m ON m."userId" = v."userId" AND m."roomId" = v."roomId" AND m.seq > v."afterSeq"
      WHERE NOT EXISTS (SELECT 1 FROM "Block" b WHERE b."blockerId" = m."userId" AND b."blockedId" = m."senderId")
      GROUP BY m."userId", m."roomId"`);
    return new Map(rows.map((r) => [mentionCountKey(r.userId, r.roomId), r.n]));
  }
}

interface MentionRow {
  roomId: string;
  seq: number;
  senderId: string;
  userIds: string[];
  createdAt: string;
}
