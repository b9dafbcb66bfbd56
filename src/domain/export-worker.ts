import { randomUUID } from "node:crypto";
import { NotFound } from "./errors.js";
import { archiveLines, type ArchiveDeps } from "./export-archive.js";
import { EXPORT_TTL_MS, exportArchiveKey, exportDir } from "./exports.js";
import { LeasedJobLoop, type LeasedJobMessages, type LeasedQueue, type WorkerLog } from "./leased-job-loop.js";
import type { AccountExportRepository, ClaimedExport } from "./ports/account-export-repository.js";
import type { BlobStorage } from "./ports/blob-storage.js";

export interface ExportWorkerDeps extends ArchiveDeps {
  exports: AccountExportRepository;
  blobs: BlobStorage;
  log: WorkerLog;
  /** A claim lasts this long unless renewed; a dead node's export is taken over after it. */
  leaseMs: number;
  /** True when no other process can be using the database (embedded): every claim is a dead run's. */
  soleWorker: boolean;
  /** Other nodes' requests are found by polling this often (this node's wake the worker at once). */
  pollMs?: number;
  now?: () => Date;
}

// An export whose build keeps failing or whose node keeps dying must not be retried forever.
export const MAX_EXPORT_ATTEMPTS = 3;
// Expired archives are deleted this often (and at start), this many per round.
const SWEEP_EVERY_MS = 10 * 60_000;
const SWEEP_BATCH = 100;

const LOG_LINES: LeasedJobMessages = {
  stopped: "export worker stopped",
  requeueFailed: "re-queueing interrupted exports failed",
  requeued: "resuming exports interrupted by the last stop",
  claimFailed: "claiming an export failed",
  renewFailed: "renewing an export lease failed",
  leaseLost: "export lease lost to another node; dropped this build",
  releaseFailed: "releasing an export failed",
  retrying: "export failed; retrying after the lease",
  crashed: "export build crashed",
};

// Each claim carries a token of its own, so a dead node's late write cannot pass for this one's.
function exportQueue(exports: AccountExportRepository): LeasedQueue<ClaimedExport> {
  return {
    claim: (leaseMs) => exports.claim(leaseMs, randomUUID()),
    renew: (claim, leaseMs) => exports.renew(claim, leaseMs),
    release: (claim) => exports.release(claim),
    requeueAll: () => exports.requeueAll(),
  };
}

/**
 * Builds exports one at a time per node, from the durable queue in the database (docs/accounts.md,
 * "Export"), on the loop the transcode worker runs too (leased-job-loop.ts): claims are leases
 * renewed while the build runs, so any node may build any export, one node at a time, and one
 * whose node died is built again by whichever node next finds its lease run out (at once after a
 * restart on the embedded database). The archive streams from the stores into blob storage: a
 * build holds a page of rows in memory, never the archive.
 */
export class ExportWorker extends LeasedJobLoop<ClaimedExport> {
  private sweptAt = 0;

  constructor(private readonly deps: ExportWorkerDeps) {
    const { log, leaseMs, soleWorker, pollMs } = deps;
    super(exportQueue(deps.exports), LOG_LINES, { log, concurrency: 1, leaseMs, soleWorker, pollMs });
  }

  protected override describe(claim: ClaimedExport) {
    return { exportId: claim.id };
  }

  protected override beforeClaim() {
    return this.sweepExpired();
  }

  protected override async process(claim: ClaimedExport, signal: AbortSignal) {
    const { exports, blobs, log } = this.deps;
    const exportId = claim.id;
    const key = exportArchiveKey(exportId, claim.token);
    try {
      if (claim.attempt > MAX_EXPORT_ATTEMPTS) {
        await this.fail(claim, `the export was interrupted ${MAX_EXPORT_ATTEMPTS} times`);
        return;
      }
      // What an earlier, interrupted attempt left (a partial file of a dead node).
      await blobs.deleteAll(exportDir(exportId));
      const started = Date.now();
      log.info({ exportId, userId: claim.userId, attempt: claim.attempt }, "building export");
      await blobs.putStream(key, archiveLines(this.deps, { exportId, userId: claim.userId }, signal));
      const expiresAt = new Date((this.deps.now ? this.deps.now() : new Date()).getTime() + EXPORT_TTL_MS);
      if (await exports.finish(claim, { status: "ready", blobKey: key, expiresAt })) {
        log.info({ exportId, userId: claim.userId, ms: Date.now() - started }, "export ready");
      } else {
        // Taken over meanwhile, or the account (and its exports) deleted: the file is nobody's.
        await blobs.delete(key).catch(() => {});
      }
    } catch (err) {
      // The account was deleted while its export waited: nothing to build, now or later.
      if (err instanceof NotFound && !signal.aborted) {
        await this.fail(claim, err.message);
        return;
      }
      throw err;
    }
  }

  private async fail(claim: ClaimedExport, error: string) {
    if (await this.deps.exports.finish(claim, { status: "failed", error })) {
      await this.deps.blobs.deleteAll(exportDir(claim.id)).catch(() => {});
      this.deps.log.warn({ exportId: claim.id, error }, "export failed");
    }
  }

  /** Deletes the archives past their 7 days (the export rows stay, without a file: GONE on download). */
  private async sweepExpired() {
    if (Date.now() - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = Date.now();
    try {
      const now = this.deps.now ? this.deps.now() : new Date();
      for (const { id, blobKey } of await this.deps.exports.expiredArchives(now, SWEEP_BATCH)) {
        await this.deps.blobs.delete(blobKey);
        await this.deps.exports.forgetArchive(id);
      }
    } catch (err) {
      this.deps.log.warn({ err }, "deleting expired exports failed");
    }
  }
}
