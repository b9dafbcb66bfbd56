/** A user's data export as stored (src/domain/exports.ts; docs/accounts.md, "Export"). */
export type ExportStatus = "pending" | "ready" | "failed";

export interface ExportRecord {
  id: string;
  userId: string;
  status: ExportStatus;
  /** Ready only: where the archive is in blob storage (null again once an expired archive is deleted). */
  blobKey: string | null;
  /** Failed only: why. */
  error: string | null;
  createdAt: Date;
  /** Ready only: the archive can be downloaded until then. */
  expiresAt: Date | null;
}

/** One claim of a pending export: the token proves the claim is still this worker's. */
export interface ClaimedExport {
  id: string;
  userId: string;
  createdAt: Date;
  /** The token the worker passed to claim(). */
  token: string;
  /** 1 for the first claim; a claim taken over from a dead node counts again. */
  attempt: number;
}

/**
 * The durable export queue: a pending row is a job. Claims are leases held in the database, as the
 * transcode queue's are (track-repository.ts), so any node may build any export, one node at a
 * time, and a dead node's export is built again once its lease runs out.
 */
export interface AccountExportRepository {
  /** The user's pending export if there is one (one at a time per user), else a new pending one. */
  createPending(userId: string): Promise<{ record: ExportRecord; created: boolean }>;
  find(id: string): Promise<ExportRecord | null>;
  /** Every export of the user, whatever its state (account deletion removes them). */
  listOf(userId: string): Promise<ExportRecord[]>;
  removeAllOf(userId: string): Promise<void>;

  /**
   * Claims the oldest pending export that no live claim holds, for `leaseMs`, under `token`.
   * Several nodes may call this at once: each export goes to one of them.
   */
  claim(leaseMs: number, token: string): Promise<ClaimedExport | null>;
  /** Extends the lease; false when the claim was lost (taken over, or the export is gone). */
  renew(claim: ClaimedExport, leaseMs: number): Promise<boolean>;
  /** Hands the export back at once (the node is stopping); the attempt is given back too. */
  release(claim: ClaimedExport): Promise<void>;
  /** Sets the final state, only while the claim holds; false otherwise (nothing changed). */
  finish(claim: ClaimedExport, outcome: { status: "ready"; blobKey: string; expiresAt: Date } | { status: "failed"; error: string }): Promise<boolean>;
  /** Every claim is dropped: only for a database no other process uses (embedded). */
  requeueAll(): Promise<number>;

  /** Ready exports past their expiry whose archive is still stored, oldest first. */
  expiredArchives(now: Date, limit: number): Promise<{ id: string; blobKey: string }[]>;
  /** The archive was deleted: the export stays, without a file. */
  forgetArchive(id: string): Promise<void>;
}
