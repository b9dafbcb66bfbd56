import type { AuditDraft } from "../domain/ports/audit-log.js";
import type { NewReport, ReportRecord, ReportRepository, ReportStatus, ReportTarget } from "../domain/ports/report-repository.js";
import type { Page } from "../domain/ports/user-repository.js";
import type { Prisma } from "./database.js";
import type { Prisma as Sql } from "./generated/prisma/client.js";
import { toPage } from "./prisma-users.js";

type Row = Omit<ReportRecord, "status"> & { status: string };

// Written by this repository only: "open" or "resolved".
const toRecord = (r: Row): ReportRecord => ({ ...r, status: r.status === "resolved" ? "resolved" : "open" });

export class PrismaReportRepository implements ReportRepository {
  constructor(private readonly prisma: Prisma) {}

  async create(report: NewReport) {
    return toRecord(await this.prisma.report.create({ data: report }));
  }

  async findOpen(reporterId: string, target: ReportTarget) {
    const about = "targetUserId" in target ? { targetUserId: target.targetUserId, roomId: null } : { roomId: target.roomId, seq: target.seq };
    const row = await this.prisma.report.findFirst({ where: { reporterId, status: "open", ...about } });
    return row ? toRecord(row) : null;
  }

  async find(id: string) {
    const row = await this.prisma.report.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async page(query: { status?: ReportStatus; before?: string; limit: number }): Promise<Page<ReportRecord>> {
    const status = query.status ? { status: query.status } : {};
    let after: Sql.ReportWhereInput = {};
    if (query.before) {
      // Keyset paging newest first on (createdAt, id), as the audit log; an unknown cursor ends the list.
      const cursor = await this.prisma.report.findFirst({ where: { id: query.before, ...status }, select: { id: true, createdAt: true } });
      if (!cursor) return { items: [], nextCursor: null };
      after = { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] };
    }
    const rows = await this.prisma.report.findMany({
      where: { ...status, ...after },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: query.limit + 1,
    });
    return toPage(rows.map(toRecord), query.limit);
  }

  async resolve(id: string, resolution: { by: string; text: string; at: Date }, audit: AuditDraft) {
    const row = await this.prisma.$transaction(async (tx) => {
      // Conditional: of two operators resolving at once, one writes; the other gets null.
      const { count } = await tx.report.updateMany({
        where: { id, status: "open" },
        data: { status: "resolved", resolvedBy: resolution.by, resolvedAt: resolution.at, resolution: resolution.text },
      });
      if (count === 0) return null;
      await tx.auditEntry.create({ data: audit });
      return tx.report.findUnique({ where: { id } });
    });
    return row ? toRecord(row) : null;
  }
}
