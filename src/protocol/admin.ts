/**
 * The operators' API (PROTOCOL.md, "Accounts and rooms over their life"): /api/admin/*, for
 * accounts with the operator flag only (403 FORBIDDEN for everyone else). Operators are made by the
 * command line (`npm run admin -- grant <email>`), never through the API.
 */
import { z } from "zod";
import { PageQuery } from "./common.js";
import { REPORT_TEXT_MAX } from "./limits.js";
import { MessageSchema } from "./messages.js";
import { ModerationText, ReportedMessageId, ReportSchema } from "./reports.js";

/** An account as operators see it: what they act on. */
export const AdminUserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    operator: z.boolean(),
    suspendedAt: z.string().nullable(),
    suspendReason: z.string().nullable(),
  })
  .meta({ id: "AdminUser" });
export const AdminUserReply = z.object({ user: AdminUserSchema });

export const StatsReply = z.object({
  users: z.number().int(),
  rooms: z.number().int(),
  /** Messages ever sent in the rooms that exist (deleted ones included): the sum of their last seqs. */
  messages: z.number().int(),
  /** Connected sockets, per node as each last reported it. */
  sockets: z.object({ total: z.number().int(), nodes: z.array(z.object({ node: z.string(), sockets: z.number().int() })) }),
});

export const ReportStatus = z.enum(["open", "resolved"]);
/** Newest first; without `status`, every report. */
export const AdminReportsQuery = PageQuery.extend({ status: ReportStatus.optional() });
/** A report with the message reported as it is now (null for a user report, or once the message is gone). */
export const AdminReportSchema = ReportSchema.extend({ message: MessageSchema.nullable() }).meta({ id: "AdminReport" });
export const AdminReportsReply = z.object({ reports: z.array(AdminReportSchema), nextCursor: z.string().nullable() });
export const ResolveReportBody = z.strictObject({ resolution: ModerationText });
export const AdminReportReply = z.object({ report: ReportSchema });

export const SuspendBody = z.strictObject({ reason: ModerationText });
/** Unsuspend and the deletions: a reason for the audit log, if the operator gives one. */
export const OptionalReasonBody = z.strictObject({ reason: z.string().trim().max(REPORT_TEXT_MAX).optional() });
export const AdminMessageParams = z.object({ id: ReportedMessageId });

export const AuditEntrySchema = z
  .object({ id: z.string(), actorId: z.string(), action: z.string(), targetId: z.string(), reason: z.string(), at: z.string() })
  .meta({ id: "AuditEntry" });
export const AuditReply = z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() });

export type AdminUser = z.output<typeof AdminUserSchema>;
export type Stats = z.output<typeof StatsReply>;
export type AdminReport = z.output<typeof AdminReportSchema>;
export type AuditEntryWire = z.output<typeof AuditEntrySchema>;
