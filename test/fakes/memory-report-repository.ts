import type { AuditDraft } from "../../src/domain/ports/audit-log.js";
import type { NewReport, ReportRecord, ReportRepository, ReportStatus, ReportTarget } from "../../src/domain/ports/report-repository.js";
import type { Page } from "../../src/domain/ports/user-repository.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";
import type { MemoryAuditLog } from "./memory-audit-log.js";
import { toPage } from "./memory-user-repository.js";

/** Newest first on (time, id), as the Prisma adapters order their pages. */
export const newestFirst = <T extends { id: string }>(at: (t: T) => Date) => (a: T, b: T) => at(b).getTime() - at(a).getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** ReportRepository (src/domain/ports/report-repository.ts) in memory, as PrismaReportRepository behaves. */
export class MemoryReportRepository implements ReportRepository {
  private readonly rows = new Map<string, ReportRecord>();
  private readonly ids = new IdSequence("report");

  constructor(
    private readonly clock: TestClock,
    /** Where resolve() appends its entry: the one transaction is one synchronous step here. */
    private readonly audit: MemoryAuditLog,
  ) {}

  async create(report: NewReport) {
    const row: ReportRecord = { ...report, id: this.ids.next(), status: "open", resolvedBy: null, resolvedAt: null, resolution: null, createdAt: this.clock.now() };
    this.rows.set(row.id, row);
    return { ...row };
  }

  async findOpen(reporterId: string, target: ReportTarget) {
    const row = [...this.rows.values()].find(
      (r) =>
        r.reporterId === reporterId &&
        r.status === "open" &&
        ("targetUserId" in target ? r.roomId === null && r.targetUserId === target.targetUserId : r.roomId === target.roomId && r.seq === target.seq),
    );
    return row ? { ...row } : null;
  }

  async find(id: string) {
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }

  async page(query: { status?: ReportStatus; before?: string; limit: number }): Promise<Page<ReportRecord>> {
    const order = newestFirst<ReportRecord>((r) => r.createdAt);
    let rows = [...this.rows.values()].filter((r) => !query.status || r.status === query.status).sort(order);
    if (query.before) {
      const cursor = rows.find((r) => r.id === query.before);
      // An unknown cursor ends the list.
      rows = cursor ? rows.filter((r) => order(cursor, r) < 0) : [];
    }
    return toPage(rows.slice(0, query.limit + 1).map((r) => ({ ...r })), query.limit);
  }

  async resolve(id: string, resolution: { by: string; text: string; at: Date }, audit: AuditDraft) {
    const row = this.rows.get(id);
    if (!row || row.status !== "open") return null;
    Object.assign(row, { status: "resolved", resolvedBy: resolution.by, resolvedAt: resolution.at, resolution: resolution.text });
    await this.audit.record(audit);
    return { ...row };
  }
}
