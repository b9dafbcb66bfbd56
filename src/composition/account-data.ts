// A user's own data over its life (docs/accounts.md): the export queue's worker and the ports of
// the export and deletion use cases, put together over the adapters and the core deps. Started by
// services.ts with the rest of the domain; the worker is stopped by root.ts before the pool closes.
import type { Config } from "../config.js";
import type { AccountDeletionDeps } from "../domain/account-deletion.js";
import { ExportWorker } from "../domain/export-worker.js";
import type { ExportDeps } from "../domain/exports.js";
import type { Logger } from "../logger.js";
import type { Adapters } from "./adapters.js";
import type { NodeDeps } from "./services.js";

export interface AccountData {
  exports: ExportDeps;
  deletion: AccountDeletionDeps;
  exportWorker: ExportWorker;
}

export function startAccountData(a: Adapters, deps: NodeDeps, config: Config, log: Logger): AccountData {
  const files = { attachmentFiles: a.media.attachments, tracks: a.media.tracks, playlists: a.media.playlists, blobs: a.blobs };
  const exportWorker = new ExportWorker({
    ...files,
    users: deps.users,
    friends: deps.friends,
    follows: deps.follows,
    blocks: deps.blocks,
    rooms: deps.rooms,
    messages: deps.messages,
    exports: a.accountExports,
    log: log.child({ component: "exports" }),
    leaseMs: config.media.exportLeaseMs,
    // The embedded database is locked to this one process (DATA_DIR lock).
    soleWorker: a.db.kind === "embedded",
  });
  exportWorker.start();
  return {
    exports: { exports: a.accountExports, blobs: a.blobs, onExportQueued: () => exportWorker.poke() },
    deletion: { ...deps, ...files, exports: a.accountExports, onError: (err, what) => log.warn({ err }, what) },
    exportWorker,
  };
}
