import type { ReplyIndex } from "../domain/ports/reply-index.js";
import { statementRunner, type PlainSql, type Prisma, type StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";

/**
 * ReplyIndex on the "MessageReply" table: its primary key (roomId, toSeq, seq) is the listing's
 * order. Past Prisma's query layer when given a pool (Database.sql): a reply is written on the send path.
 */
export class PrismaReplyIndex implements ReplyIndex {
  private readonly run: StatementRunner;

  constructor(prisma: Prisma, sql?: PlainSql | null) {
    this.run = statementRunner(prisma, sql);
  }

  async record(roomId: string, toSeq: number, seq: number): Promise<void> {
    await this.run(Sql.sql`
      INSERT INTO "MessageReply" ("roomId", "toSeq", seq) VALUES (${roomId}, ${toSeq}::int, ${seq}::int) ON CONFLICT DO NOTHING`);
  }

  async list(roomId: string, toSeq: number, query: { after?: number; limit: number }): Promise<{ seqs: number[]; hasMore: boolean }> {
    const rows = await this.run<{ seq: number }>(Sql.sql`
      SELECT seq FROM "MessageReply" WHERE "roomId" = ${roomId} AND "toSeq" = ${toSeq}::int AND seq > ${Math.min(query.after ?? 0, 2_147_483_647)}::int
      ORDER BY seq LIMIT ${query.limit + 1}::int`);
    return { seqs: rows.slice(0, query.limit).map((r) => r.seq), hasMore: rows.length > query.limit };
  }
}
