import type { Page } from "./user-repository.js";

/** What operators do, as the audit log names it (each is one entry). */
export type AuditAction =
  | "operator.grant"
  | "operator.revoke"
  | "user.suspend"
  | "user.unsuspend"
  | "report.resolve"
  | "message.delete"
  | "room.delete";

/** One operator action: who, what, on which id, why, when. */
export interface AuditEntry {
  id: string;
  actorId: string;
  action: AuditAction;
  targetId: string;
  /** "" when none was given. */
  reason: string;
  at: Date;
}

export type AuditDraft = Omit<AuditEntry, "id">;

/**
 * The operators' audit log, append-only: the database refuses UPDATE, DELETE and TRUNCATE of it
 * (a trigger, migration 20261206011901), so not even this application can rewrite history. An
 * action that writes PostgreSQL appends its entry in its own transaction through its repository
 * (ReportRepository.resolve, ModerationStore); `record` is for the others (src/domain/moderation.ts).
 */
export interface AuditLog {
  record(entry: AuditDraft): Promise<AuditEntry>;
  /** Newest first; `before` is the id of the last entry of the previous page. */
  page(query: { before?: string; limit: number }): Promise<Page<AuditEntry>>;
}
