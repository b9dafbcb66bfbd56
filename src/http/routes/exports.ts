import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { getExport, openExportDownload, requestExport, type ExportDeps } from "../../domain/exports.js";
import { Binary, IdParams } from "../../protocol/common.js";
import { ExportReply } from "../../protocol/exports.js";
import { contentDisposition } from "../content-disposition.js";
import { defineRoute, type RouteKit } from "../route.js";

/** The data export routes (docs/accounts.md, "Export"): request, poll, download the caller's own. */
export function registerExportRoutes(kit: RouteKit, deps: ExportDeps) {
  const tag = "account";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/me/export",
      summary: "Start an export of everything of yours (one pending at a time: a second request answers the pending one)",
      tag,
      responses: { 202: { description: "Queued", schema: ExportReply } },
    },
    async ({ auth }) => ({ status: 202, body: { export: await requestExport(deps, auth.userId) } }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/me/exports/:id",
      summary: "An export of yours: pending, ready (with its downloadUrl for 7 days) or failed",
      tag,
      params: IdParams,
      responses: { 200: { description: "The export", schema: ExportReply } },
    },
    async ({ auth, params }) => ({ status: 200, body: { export: await getExport(deps, auth.userId, params.id) } }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/me/exports/:id/download",
      summary: "The archive of a ready export of yours, streamed (NDJSON); 409 while pending or failed, 410 once expired",
      tag,
      params: IdParams,
      responses: { 200: { description: "NDJSON, one object per line (docs/accounts.md)", schema: Binary, contentType: "application/x-ndjson" } },
    },
    async ({ auth, params, req, res }) => {
      const download = await openExportDownload(deps, auth.userId, params.id);
      res.status(200);
      res.setHeader("Content-Type", "application/x-ndjson; charset=utf-8");
      res.setHeader("Content-Length", String(download.size));
      res.setHeader("Content-Disposition", contentDisposition("attachment", download.fileName));
      // Someone's whole history: never kept by a shared cache.
      res.setHeader("Cache-Control", "private, no-store");
      res.setHeader("X-Content-Type-Options", "nosniff");
      const stream = download.stream as Readable;
      if (req.method === "HEAD") {
        stream.destroy();
        res.end();
        return undefined;
      }
      await pipeline(stream, res).catch(() => res.destroy());
      return undefined;
    },
  );
}
