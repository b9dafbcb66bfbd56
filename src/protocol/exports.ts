/** Data exports (PROTOCOL.md, "Accounts and rooms over their life"; docs/accounts.md, "Export"). */
import { z } from "zod";

export const ExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(["pending", "ready", "failed"]),
    /** Ready and not expired: GET with the owner's bearer token streams the NDJSON archive. */
    downloadUrl: z.string().optional(),
    /** Ready: the archive is kept until then (7 days); after it the download is 410 GONE. */
    expiresAt: z.string().optional(),
    /** Failed: why. */
    error: z.string().optional(),
  })
  .meta({ id: "AccountExport" });

export const ExportReply = z.object({ export: ExportSchema });

export type AccountExport = z.output<typeof ExportSchema>;
