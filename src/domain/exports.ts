/**
 * A user's data export (PROTOCOL.md, "Accounts and rooms over their life": POST /api/me/export,
 * GET /api/me/exports/:id and its download). The request queues a job; export-worker.ts builds the
 * archive (export-archive.ts) into blob storage; the owner downloads it for 7 days. docs/accounts.md.
 */
import { Conflict, Gone, NotFound } from "./errors.js";
import type { AccountExportRepository, ExportRecord } from "./ports/account-export-repository.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { AccountExport } from "../protocol/exports.js";

export interface ExportDeps {
  exports: AccountExportRepository;
  blobs: BlobStorage;
  /** Wakes this node's export worker (other nodes find the job when they next poll). */
  onExportQueued?: () => void;
  now?: () => Date;
}

// Long enough to fetch over a slow week, short enough that a copy of everything someone wrote
// does not sit on the server for long (a new export is one request away).
export const EXPORT_TTL_MS = 7 * 86_400_000;

/** Everything of one export in blob storage: its archive and any earlier attempt's leftovers. */
export const exportDir = (exportId: string) => `exports/${exportId}`;
/** The archive one claim writes (a claim of its own, so a taken-over attempt never shares a file). */
export const exportArchiveKey = (exportId: string, token: string) => `${exportDir(exportId)}/${token}.ndjson`;

/** The contract's export (src/protocol/exports.ts): `downloadUrl` while ready and not expired. */
export type ExportView = AccountExport;

const clock = (deps: Pick<ExportDeps, "now">) => (deps.now ? deps.now() : new Date());

export function viewExport(record: ExportRecord, now: Date): ExportView {
  const view: ExportView = { id: record.id, status: record.status };
  if (record.status === "ready" && record.expiresAt) {
    view.expiresAt = record.expiresAt.toISOString();
    if (record.blobKey && record.expiresAt > now) view.downloadUrl = `/api/me/exports/${record.id}/download`;
  }
  if (record.status === "failed" && record.error) view.error = record.error;
  return view;
}

/** Queues an export of everything of the caller's; while one is pending, that one is answered. */
export async function requestExport(deps: ExportDeps, userId: string): Promise<ExportView> {
  const { record, created } = await deps.exports.createPending(userId);
  if (created) deps.onExportQueued?.();
  return viewExport(record, clock(deps));
}

/** The caller's own exports only: anyone else's is NOT_FOUND, exactly as one that does not exist. */
async function ownExport(deps: ExportDeps, userId: string, exportId: string): Promise<ExportRecord> {
  const record = await deps.exports.find(exportId);
  if (!record || record.userId !== userId) throw new NotFound("no such export");
  return record;
}

export async function getExport(deps: ExportDeps, userId: string, exportId: string): Promise<ExportView> {
  return viewExport(await ownExport(deps, userId, exportId), clock(deps));
}

export interface ExportDownload {
  stream: NodeJS.ReadableStream;
  size: number;
  fileName: string;
}

/**
 * The archive, as a stream from blob storage (never read whole). Pending or failed: CONFLICT (there
 * is nothing to download, and there will not be for a failed one); past its 7 days: GONE.
 */
export async function openExportDownload(deps: ExportDeps, userId: string, exportId: string): Promise<ExportDownload> {
  const record = await ownExport(deps, userId, exportId);
  if (record.status === "pending") throw new Conflict("the export is still being built: poll GET /api/me/exports/:id");
  if (record.status === "failed") throw new Conflict(`the export failed (${record.error ?? "unknown error"}): request a new one`);
  const gone = new Gone("the export expired (archives are kept 7 days): request a new one");
  if (!record.blobKey || !record.expiresAt || record.expiresAt <= clock(deps)) throw gone;
  const blob = await deps.blobs.open(record.blobKey);
  if (!blob) throw gone;
  return { stream: blob.stream, size: blob.size, fileName: `chat-export-${record.id}.ndjson` };
}
