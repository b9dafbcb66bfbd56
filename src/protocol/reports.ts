/**
 * Reports (PROTOCOL.md, "Accounts and rooms over their life"): any user reports a message of a room
 * they are in, or a user; the room's owner and admins hear of a message report in their feed
 * (`report.created`), and operators list and resolve every report (protocol/admin.ts).
 */
import { z } from "zod";
import { Id } from "./common.js";
import { REPORT_TEXT_MAX } from "./limits.js";

/** Why a report, a resolution or a suspension: a line or a paragraph, never blank. */
export const ModerationText = z.string().trim().min(1).max(REPORT_TEXT_MAX);

/** `${roomId}:${seq}`, the id every message carries. */
export const ReportedMessageId = z.string().regex(/^[0-9a-fA-F-]{36}:[1-9]\d{0,14}$/, { error: "must be a message id (<roomId>:<seq>)" });

/** POST /api/reports: exactly one of messageId and userId. */
export const ReportBody = z
  .strictObject({ messageId: ReportedMessageId.optional(), userId: Id.optional(), reason: ModerationText })
  .refine((b) => (b.messageId === undefined) !== (b.userId === undefined), { path: ["messageId"], error: "give exactly one of messageId and userId" });

/**
 * A report as its reporter and the operators see it. `userId` is the user reported: the one named,
 * or the sender of the message reported. `messageId`, `roomId` and `seq` are null for a user report.
 */
export const ReportSchema = z
  .object({
    id: z.string(),
    reporterId: z.string(),
    messageId: z.string().nullable(),
    roomId: z.string().nullable(),
    seq: z.number().int().nullable(),
    userId: z.string().nullable(),
    reason: z.string(),
    status: z.enum(["open", "resolved"]),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolution: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "Report" });

/**
 * A message report as the room's owner and admins see it in their feed: what was reported and
 * why, not by whom (a reporter is not exposed to the room they reported from).
 */
export const RoomReportSchema = ReportSchema.pick({ id: true, messageId: true, roomId: true, seq: true, userId: true, reason: true, createdAt: true }).meta({ id: "RoomReport" });

export const ReportReply = z.object({ report: ReportSchema });

export type Report = z.output<typeof ReportSchema>;
export type RoomReport = z.output<typeof RoomReportSchema>;
