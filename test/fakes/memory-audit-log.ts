import type { AuditDraft, AuditEntry, AuditLog } from "../../src/domain/ports/audit-log.js";
import type { Page } from "../../src/domain/ports/user-repository.js";
import { IdSequence } from "./ids.js";
import { newestFirst } from "./memory-report-repository.js";
import { toPage } from "./memory-user-repository.js";

/** AuditLog (src/domain/ports/audit-log.ts) in memory: append-only, as the database's trigger keeps PrismaAuditLog. */
export class MemoryAuditLog implements AuditLog {
  private readonly rows: AuditEntry[] = [];
  private readonly ids = new IdSequence("auditEntry");

  async record(entry: AuditDraft) {
    const row = { ...entry, id: this.ids.next() };
    this.rows.push(row);
    return { ...row };
  }

  async page(query: { before?: string; limit: number }): Promise<Page<AuditEntry>> {
    const order = newestFirst<AuditEntry>((e) => e.at);
    let rows = [...this.rows].sort(order);
    if (query.before) {
      const cursor = rows.find((r) => r.id === query.before);
      rows = cursor ? rows.filter((r) => order(cursor, r) < 0) : [];
    }
    return toPage(rows.slice(0, query.limit + 1).map((r) => ({ ...r })), query.limit);
  }

  // ---- Not part of the port.

  /** Every entry, oldest first. */
  get entries(): AuditEntry[] {
    return this.rows.map((r) => ({ ...r }));
  }
}
