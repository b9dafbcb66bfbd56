import DataLoader from "dataloader";

import type { ReplyIndex } from "../domain/ports/reply-index.js";
import { statementRunner, type PlainSql, type Prisma, type StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";

/**
 * ReplyIndex on the "MessageReply" table: its primary key (roomId, toSeq, seq) is the listing's
 * order. Past Prisma's query layer when given a pool (Database.sql): a reply is written on the send
 * path, and the replies of one tick (a group commit's messages resolve together) go into one statement.
 */
export class PrismaReplyIndex implements ReplyIndex {
  private readonly run: StatementRunner;
  private readonly writes = new DataLoader<ReplyRow, true, ReplyRow>((rows) => this.insert(rows), { cache: false, maxBatchSize: 1_000 });

  constructor(prisma: Prisma, sql?: PlainSql | null) {
    this.run = statementRunner(prisma, sql);
  }

  async record(roomId: string, toSeq: number, seq: number): Promise<void> {
    await this.writes.load({ roomId, toSeq, seq });
  }

  private async insert(rows: readonly ReplyRow[]): Promise<true[]> {
    await this.run(Sql.sql`
      INSERT INTO "MessageReply" ("roomId", "toSeq", seq)
      SELECT x."roomId", x."toSeq", x.seq
      FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x("roomId" text, "toSeq" int, seq int) LIMIT ${rows.length}::int) x
      ON CONFLICT DO NOTHING`);
    return rows.map(() => true);
  }

  async list(roomId: string, toSeq: number, query: { after?: number; limit: number }): Promise<{ seqs: number[]; hasMore: boolean }> {
    const rows = await this.run<{ seq: number }>(Sql.sql`
      SELECT seq FROM "MessageReply" WHERE "roomId" = ${roomId} AND "toSeq" = ${toSeq}::int AND seq > ${Math.min(query.after ?? 0, 2_147_483_647)}::int
      ORDER BY seq LIMIT ${query.limit + 1}::int`);
    return { seqs: rows.slice(0, query.limit).map((r) => r.seq), hasMore: rows.length > query.limit };
  }
}

interface ReplyRow {
  roomId: string;
  toSeq: number;
  seq: number;
}
