import { randomUUID } from "node:crypto";
import { NotFound } from "./errors.js";
import { archiveLines, type ArchiveDeps } from "./export-archive.js";
import { EXPORT_TTL_MS, exportArchiveKey, exportDir } from "./exports.js";
import type { AccountExportRepository, ClaimedExport } from "./ports/account-export-repository.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { WorkerLog } from "./transcode-worker.js";

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
const DEFAULT_POLL_MS = 5_000;
// Expired archives are deleted this often (and at start), this many per round.
const SWEEP_EVERY_MS = 10 * 60_000;
const SWEEP_BATCH = 100;

type Stop = "release" | "abandon";

/**
 * Builds exports one at a time per node, from the durable queue in the database (docs/accounts.md,
 * "Export"). The design is the transcode worker's (transcode-worker.ts): claims are leases renewed
 * while the build runs, so any node may build any export, one node at a time, and one whose node
 * died is built again by whichever node next finds its lease run out (at once after a restart on
 * the embedded database). The archive streams from the stores into blob storage: a build holds a
 * page of rows in memory, never the archive.
 */
export class ExportWorker {
  private stopping: Stop | null = null;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private current: AbortController | null = null;
  private pokes = 0;
  private sweptAt = 0;

  constructor(private readonly deps: ExportWorkerDeps) {}

  start() {
    this.loop ??= this.run().catch((err) => this.deps.log.error({ err }, "export worker stopped"));
  }

  /** An export was requested: look for it now rather than at the next poll. */
  poke() {
    this.pokes++;
    this.wake?.();
  }

  /** Stops claiming; a running build is aborted and its export handed back to the queue. */
  async stop() {
    await this.halt("release");
  }

  /** As a crash: a running build is dropped and left claimed, to be taken over when its lease ends. */
  async abandon() {
    await this.halt("abandon");
  }

  private async halt(mode: Stop) {
    this.stopping ??= mode;
    this.wake?.();
    this.current?.abort();
    await this.loop;
  }

  private async run() {
    if (this.deps.soleWorker) {
      const requeued = await this.deps.exports.requeueAll().catch((err) => {
        this.deps.log.warn({ err }, "re-queueing interrupted exports failed");
        return 0;
      });
      if (requeued) this.deps.log.info({ requeued }, "resuming exports interrupted by the last stop");
    }
    while (!this.stopping) {
      const pokes = this.pokes;
      await this.sweepExpired();
      let claimed: ClaimedExport | null = null;
      try {
        claimed = await this.deps.exports.claim(this.deps.leaseMs, randomUUID());
      } catch (err) {
        this.deps.log.warn({ err }, "claiming an export failed");
      }
      if (claimed) {
        await this.build(claimed).catch((err) => this.deps.log.error({ err, exportId: claimed.id }, "export build crashed"));
        continue;
      }
      if (this.pokes !== pokes) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.pollMs ?? DEFAULT_POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private async build(claim: ClaimedExport) {
    const { exports, blobs, log, leaseMs } = this.deps;
    const exportId = claim.id;
    const abort = new AbortController();
    this.current = abort;
    let lost = false;
    // Renewed well before the lease ends, so one slow renewal does not hand the build to another node.
    const heartbeat = setInterval(() => {
      exports.renew(claim, leaseMs).then(
        (held) => {
          if (!held) {
            lost = true;
            abort.abort();
          }
        },
        (err) => log.warn({ err, exportId }, "renewing an export lease failed"),
      );
    }, Math.max(250, Math.floor(leaseMs / 3)));
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
      await blobs.putStream(key, archiveLines(this.deps, { exportId, userId: claim.userId }, abort.signal));
      const expiresAt = new Date((this.deps.now ? this.deps.now() : new Date()).getTime() + EXPORT_TTL_MS);
      if (await exports.finish(claim, { status: "ready", blobKey: key, expiresAt })) {
        log.info({ exportId, userId: claim.userId, ms: Date.now() - started }, "export ready");
      } else {
        // Taken over meanwhile, or the account (and its exports) deleted: the file is nobody's.
        await blobs.delete(key).catch(() => {});
      }
    } catch (err) {
      if (lost) {
        log.warn({ exportId }, "export lease lost to another node; dropped this build");
      } else if (err instanceof NotFound && !abort.signal.aborted) {
        // The account was deleted while its export waited: nothing to build, now or later.
        await this.fail(claim, err.message);
      } else if (this.stopping === "release") {
        await exports.release(claim).catch((e) => log.warn({ err: e, exportId }, "releasing an export failed"));
      } else if (!this.stopping) {
        // Storage or database trouble: the claim is left to expire and the next claim (here or
        // elsewhere) tries again, up to MAX_EXPORT_ATTEMPTS.
        log.error({ err, exportId }, "export failed; retrying after the lease");
      }
    } finally {
      clearInterval(heartbeat);
      this.current = null;
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
