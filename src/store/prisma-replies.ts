import type { ReplyIndex } from "../domain/ports/reply-index.js";
import type { Prisma } from "./database.js";

/** ReplyIndex on the "MessageReply" table: its primary key (roomId, toSeq, seq) is the listing's order. */
export class PrismaReplyIndex implements ReplyIndex {
  constructor(private readonly prisma: Prisma) {}

  async record(roomId: string, toSeq: number, seq: number): Promise<void> {
    await this.prisma.messageReply.createMany({ data: [{ roomId, toSeq, seq }], skipDuplicates: true });
  }

  async list(roomId: string, toSeq: number, query: { after?: number; limit: number }): Promise<{ seqs: number[]; hasMore: boolean }> {
    const rows = await this.prisma.messageReply.findMany({
      where: { roomId, toSeq, seq: { gt: query.after ?? 0 } },
      orderBy: { seq: "asc" },
      take: query.limit + 1,
      select: { seq: true },
    });
    return { seqs: rows.slice(0, query.limit).map((r) => r.seq), hasMore: rows.length > query.limit };
  }
}
