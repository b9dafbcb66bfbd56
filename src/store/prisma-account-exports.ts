import type { AccountExportRepository, ClaimedExport, ExportRecord, ExportStatus } from "../domain/ports/account-export-repository.js";
import type { Prisma } from "./database.js";

// The AccountExport table (prisma/schema.prisma) has no lease columns, and its migration was
// settled before this queue was written, so a PENDING row lends two columns to its claim:
//   "expiresAt"  the lease: claimed until then (null: not claimed);
//   "blobKey"    "<attempts>:<token>": how many times it was claimed, and the current claim's token.
// Both mean what the schema says once the row is ready (the archive's key and its expiry), and
// find() shows neither while pending. Lease times use the database clock, the one every node shares.

interface Row {
  id: string;
  userId: string;
  status: string;
  blobKey: string | null;
  error: string | null;
  createdAt: Date;
  expiresAt: Date | null;
}

function toRecord(row: Row): ExportRecord {
  const status = row.status as ExportStatus;
  const ready = status === "ready";
  return { id: row.id, userId: row.userId, status, blobKey: ready ? row.blobKey : null, error: row.error, createdAt: row.createdAt, expiresAt: ready ? row.expiresAt : null };
}

const claimValue = (c: ClaimedExport) => `${c.attempt}:${c.token}`;

export class PrismaAccountExportRepository implements AccountExportRepository {
  constructor(private readonly prisma: Prisma) {}

  async createPending(userId: string) {
    // Two requests at once may both create one: harmless (two archives), so no lock is taken.
    const pending = await this.prisma.accountExport.findFirst({ where: { userId, status: "pending" }, orderBy: { createdAt: "asc" } });
    if (pending) return { record: toRecord(pending), created: false };
    return { record: toRecord(await this.prisma.accountExport.create({ data: { userId } })), created: true };
  }

  async find(id: string) {
    const row = await this.prisma.accountExport.findUnique({ where: { id } });
    return row ? toRecord(row) : null;
  }

  async listOf(userId: string) {
    return (await this.prisma.accountExport.findMany({ where: { userId }, orderBy: { createdAt: "asc" } })).map(toRecord);
  }

  async removeAllOf(userId: string) {
    await this.prisma.accountExport.deleteMany({ where: { userId } });
  }

  async claim(leaseMs: number, token: string): Promise<ClaimedExport | null> {
    // SKIP LOCKED: nodes claiming at once each take a different row instead of queueing on one.
    const rows = await this.prisma.$queryRaw<{ id: string; userId: string; createdAt: Date; blobKey: string }[]>`
      UPDATE "AccountExport"
         SET "blobKey" = (coalesce(nullif(split_part("blobKey", ':', 1), '')::int, 0) + 1)::text || ':' || ${token},
             "expiresAt" = now() + ${leaseMs}::int * interval '1 millisecond'
       WHERE id = (
         SELECT id FROM "AccountExport"
          WHERE status = 'pending' AND ("expiresAt" IS NULL OR "expiresAt" < now())
          ORDER BY "createdAt"
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
      RETURNING id::text AS id, "userId"::text AS "userId", "createdAt", "blobKey"`;
    const row = rows[0];
    if (!row) return null;
    return { id: row.id, userId: row.userId, createdAt: row.createdAt, token, attempt: Number(row.blobKey.split(":")[0]) };
  }

  async renew(claim: ClaimedExport, leaseMs: number) {
    const n = await this.prisma.$executeRaw`
      UPDATE "AccountExport" SET "expiresAt" = now() + ${leaseMs}::int * interval '1 millisecond'
       WHERE id = ${claim.id}::uuid AND status = 'pending' AND "blobKey" = ${claimValue(claim)}`;
    return n === 1;
  }

  async release(claim: ClaimedExport) {
    // A stop is not the export's fault: the attempt is given back.
    await this.prisma.$executeRaw`
      UPDATE "AccountExport" SET "expiresAt" = NULL, "blobKey" = ${String(claim.attempt - 1)}
       WHERE id = ${claim.id}::uuid AND status = 'pending' AND "blobKey" = ${claimValue(claim)}`;
  }

  async finish(claim: ClaimedExport, outcome: { status: "ready"; blobKey: string; expiresAt: Date } | { status: "failed"; error: string }) {
    const data =
      outcome.status === "ready"
        ? { status: "ready", blobKey: outcome.blobKey, expiresAt: outcome.expiresAt, error: null }
        : { status: "failed", blobKey: null, expiresAt: null, error: outcome.error };
    const { count } = await this.prisma.accountExport.updateMany({ where: { id: claim.id, status: "pending", blobKey: claimValue(claim) }, data });
    return count === 1;
  }

  async requeueAll() {
    return this.prisma.$executeRaw`UPDATE "AccountExport" SET "expiresAt" = NULL WHERE status = 'pending' AND "expiresAt" IS NOT NULL`;
  }

  async expiredArchives(now: Date, limit: number) {
    const rows = await this.prisma.accountExport.findMany({
      where: { status: "ready", expiresAt: { lt: now }, blobKey: { not: null } },
      orderBy: { expiresAt: "asc" },
      take: limit,
      select: { id: true, blobKey: true },
    });
    return rows.map((r) => ({ id: r.id, blobKey: r.blobKey! }));
  }

  async forgetArchive(id: string) {
    await this.prisma.accountExport.updateMany({ where: { id, status: "ready" }, data: { blobKey: null } });
  }
}
