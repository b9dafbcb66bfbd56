import type { AuditAction, AuditDraft, AuditEntry, AuditLog } from "../domain/ports/audit-log.js";
import type { Page } from "../domain/ports/user-repository.js";
import type { Prisma } from "./database.js";
import type { Prisma as Sql } from "./generated/prisma/client.js";
import { toPage } from "./prisma-users.js";

// Written by this application only, from the AuditAction union.
const toEntry = (r: Omit<AuditEntry, "action"> & { action: string }): AuditEntry => ({ ...r, action: r.action as AuditAction });

/** The audit log in PostgreSQL: INSERT only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export class PrismaAuditLog implements AuditLog {
  constructor(private readonly prisma: Prisma) {}

  async record(entry: AuditDraft) {
    return toEntry(await this.prisma.auditEntry.create({ data: entry }));
  }

  async page(query: { before?: string; limit: number }): Promise<Page<AuditEntry>> {
    let after: Sql.AuditEntryWhereInput = {};
    if (query.before) {
      // Keyset paging newest first on (at, id): the entries after the cursor's; an unknown cursor ends the list.
      const cursor = await this.prisma.auditEntry.findUnique({ where: { id: query.before }, select: { id: true, at: true } });
      if (!cursor) return { items: [], nextCursor: null };
      after = { OR: [{ at: { lt: cursor.at } }, { at: cursor.at, id: { lt: cursor.id } }] };
    }
    const rows = await this.prisma.auditEntry.findMany({ where: after, orderBy: [{ at: "desc" }, { id: "desc" }], take: query.limit + 1 });
    return toPage(rows.map(toEntry), query.limit);
  }
}
