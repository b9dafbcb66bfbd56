import type { AccountExportRepository, ClaimedExport, ExportRecord } from "../../src/domain/ports/account-export-repository.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";

interface Row extends ExportRecord {
  /** The claim, while pending (src/store/prisma-account-exports.ts keeps these in blobKey and expiresAt). */
  attempts: number;
  token: string | null;
  leaseUntil: number | null;
}

/** AccountExportRepository (src/domain/ports/account-export-repository.ts) in memory, as PrismaAccountExportRepository behaves. */
export class MemoryAccountExportRepository implements AccountExportRepository {
  readonly rows = new Map<string, Row>();
  private readonly ids = new IdSequence("accountExport");

  constructor(private readonly clock: TestClock) {}

  async createPending(userId: string) {
    const pending = [...this.rows.values()].find((r) => r.userId === userId && r.status === "pending");
    if (pending) return { record: view(pending), created: false };
    const row: Row = { id: this.ids.next(), userId, status: "pending", blobKey: null, error: null, createdAt: this.clock.now(), expiresAt: null, attempts: 0, token: null, leaseUntil: null };
    this.rows.set(row.id, row);
    return { record: view(row), created: true };
  }

  async find(id: string) {
    const row = this.rows.get(id);
    return row ? view(row) : null;
  }

  async listOf(userId: string) {
    return [...this.rows.values()].filter((r) => r.userId === userId).map(view);
  }

  async removeAllOf(userId: string) {
    for (const row of [...this.rows.values()]) if (row.userId === userId) this.rows.delete(row.id);
  }

  async claim(leaseMs: number, token: string): Promise<ClaimedExport | null> {
    const now = this.clock.nowMs();
    const row = [...this.rows.values()]
      .filter((r) => r.status === "pending" && (r.leaseUntil === null || r.leaseUntil < now))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
    if (!row) return null;
    row.attempts++;
    row.token = token;
    row.leaseUntil = now + leaseMs;
    return { id: row.id, userId: row.userId, createdAt: row.createdAt, token, attempt: row.attempts };
  }

  private held(claim: ClaimedExport): Row | undefined {
    const row = this.rows.get(claim.id);
    return row && row.status === "pending" && row.token === claim.token && row.attempts === claim.attempt ? row : undefined;
  }

  async renew(claim: ClaimedExport, leaseMs: number) {
    const row = this.held(claim);
    if (row) row.leaseUntil = this.clock.nowMs() + leaseMs;
    return row !== undefined;
  }

  async release(claim: ClaimedExport) {
    const row = this.held(claim);
    if (!row) return;
    row.attempts--;
    row.token = null;
    row.leaseUntil = null;
  }

  async finish(claim: ClaimedExport, outcome: { status: "ready"; blobKey: string; expiresAt: Date } | { status: "failed"; error: string }) {
    const row = this.held(claim);
    if (!row) return false;
    row.token = null;
    row.leaseUntil = null;
    if (outcome.status === "ready") Object.assign(row, { status: "ready", blobKey: outcome.blobKey, expiresAt: outcome.expiresAt, error: null });
    else Object.assign(row, { status: "failed", blobKey: null, expiresAt: null, error: outcome.error });
    return true;
  }

  async requeueAll() {
    let n = 0;
    for (const row of this.rows.values()) {
      if (row.status === "pending" && row.leaseUntil !== null) {
        row.leaseUntil = null;
        n++;
      }
    }
    return n;
  }

  async expiredArchives(now: Date, limit: number) {
    return [...this.rows.values()]
      .filter((r) => r.status === "ready" && r.blobKey !== null && r.expiresAt !== null && r.expiresAt < now)
      .sort((a, b) => a.expiresAt!.getTime() - b.expiresAt!.getTime())
      .slice(0, limit)
      .map((r) => ({ id: r.id, blobKey: r.blobKey! }));
  }

  async forgetArchive(id: string) {
    const row = this.rows.get(id);
    if (row?.status === "ready") row.blobKey = null;
  }
}

function view(row: Row): ExportRecord {
  const { id, userId, status, blobKey, error, createdAt, expiresAt } = row;
  return { id, userId, status, blobKey, error, createdAt, expiresAt };
}
