import type { AuditDraft } from "./audit-log.js";
import type { Page } from "./user-repository.js";

export type ReportStatus = "open" | "resolved";

export interface ReportRecord {
  id: string;
  reporterId: string;
  /** A message report: the message's room and seq; both null for a user report. */
  roomId: string | null;
  seq: number | null;
  /** The user reported, or the sender of the message reported. */
  targetUserId: string | null;
  reason: string;
  status: ReportStatus;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  resolution: string | null;
  createdAt: Date;
}

export type NewReport = Pick<ReportRecord, "reporterId" | "roomId" | "seq" | "targetUserId" | "reason">;

/** What a report is about: one message, or one user. */
export type ReportTarget = { roomId: string; seq: number } | { targetUserId: string };

export interface ReportRepository {
  create(report: NewReport): Promise<ReportRecord>;
  /** The reporter's open report of this message (or, for a user report, of this user), if any. */
  findOpen(reporterId: string, target: ReportTarget): Promise<ReportRecord | null>;
  find(id: string): Promise<ReportRecord | null>;
  /** Newest first, of one status or all; `before` is the id of the last report of the previous page. */
  page(query: { status?: ReportStatus; before?: string; limit: number }): Promise<Page<ReportRecord>>;
  /**
   * Resolves an open report and appends `audit`, in one transaction. Null (and nothing written)
   * when there is no such report or it is no longer open.
   */
  resolve(id: string, resolution: { by: string; text: string; at: Date }, audit: AuditDraft): Promise<ReportRecord | null>;
}
