/**
 * The operators' use cases (PROTOCOL.md, "Accounts and rooms over their life"): statistics, the
 * reports queue, the audit log; suspensions are in suspensions.ts, deletions in moderation.ts.
 * Every one starts with requireOperator, which reads the account on each call: a flag revoked by
 * `npm run admin -- revoke` binds from the operator's next request, whatever tokens they hold.
 * Every action that changes something writes one audit entry (reads are not logged: a page view
 * is not an action, and logging them would bury the actions).
 */
import { Conflict, Forbidden, NotFound } from "./errors.js";
import type { Message } from "./message.js";
import type { AuditEntry, AuditLog } from "./ports/audit-log.js";
import type { BotRepository } from "./ports/bot-repository.js";
import type { ModerationStore } from "./ports/moderation-store.js";
import type { ReportStatus } from "./ports/report-repository.js";
import type { SessionRepository } from "./ports/session-repository.js";
import type { SocketCensus } from "./ports/socket-census.js";
import { normalizeEmail, type UserRecord } from "./user.js";
import { reportView, type ReportDeps } from "./reports.js";
import type { MessageDeps } from "./messages.js";
import { PAGE_LIMIT_MAX } from "../protocol/limits.js";
import type { AdminReport, AdminUser, AuditEntryWire, Stats } from "../protocol/admin.js";
import type { Report } from "../protocol/reports.js";

export interface AdminDeps extends MessageDeps, ReportDeps {
  sessions: SessionRepository;
  audit: AuditLog;
  moderation: ModerationStore;
  socketCensus: SocketCensus;
  /** A suspension cuts off the account's bots (suspensions.ts). */
  bots: Pick<BotRepository, "liveIdsFor" | "cutOff">;
  now?: () => Date;
}

// Rooms whose heads one stats query reads: the message count walks every room in pages this big.
const STATS_ROOMS_PER_QUERY = 500;

export const clockOf = (deps: { now?: () => Date }) => (deps.now ? deps.now() : new Date());

/** The caller's account, if it holds the operator flag now; FORBIDDEN for anyone else. */
export async function requireOperator(deps: Pick<AdminDeps, "users">, userId: string): Promise<UserRecord> {
  const user = await deps.users.findById(userId);
  if (!user?.operator) throw new Forbidden("operators only");
  return user;
}

export function adminUserView(u: UserRecord): AdminUser {
  return { id: u.id, email: u.email, displayName: u.displayName, operator: u.operator, suspendedAt: u.suspendedAt?.toISOString() ?? null, suspendReason: u.suspendReason };
}

export async function getStats(deps: AdminDeps, operatorId: string): Promise<Stats> {
  await requireOperator(deps, operatorId);
  const [counts, nodes] = await Promise.all([deps.moderation.counts(), deps.socketCensus.perNode()]);
  let messages = 0;
  for (let after: string | null = null; ; ) {
    const ids = await deps.moderation.roomIds(after, STATS_ROOMS_PER_QUERY);
    if (!ids.length) break;
    for (const head of (await deps.messages.heads(ids)).values()) messages += head.lastSeq;
    if (ids.length < STATS_ROOMS_PER_QUERY) break;
    after = ids.at(-1)!;
  }
  return { ...counts, messages, sockets: { total: nodes.reduce((n, s) => n + s.sockets, 0), nodes } };
}

/** Newest first, with each reported message as it is now. */
export async function listReports(
  deps: AdminDeps,
  operatorId: string,
  query: { status?: ReportStatus; cursor?: string; limit: number },
): Promise<{ reports: AdminReport[]; nextCursor: string | null }> {
  await requireOperator(deps, operatorId);
  const page = await deps.reports.page({ status: query.status, before: query.cursor, limit: Math.min(query.limit, PAGE_LIMIT_MAX) });
  const seqsByRoom = new Map<string, number[]>();
  for (const r of page.items) if (r.roomId !== null && r.seq !== null) seqsByRoom.set(r.roomId, [...(seqsByRoom.get(r.roomId) ?? []), r.seq]);
  const messages = new Map<string, Message>();
  await Promise.all(
    [...seqsByRoom].map(async ([roomId, seqs]) => {
      for (const m of await deps.messages.getMany(roomId, seqs)) messages.set(m.id, m);
    }),
  );
  const reports = page.items.map((r) => {
    const view = reportView(r);
    return { ...view, message: view.messageId ? (messages.get(view.messageId) ?? null) : null };
  });
  return { reports, nextCursor: page.nextCursor };
}

/** Closes an open report with the operator's resolution; a resolved one is CONFLICT. */
export async function resolveReport(deps: AdminDeps, operatorId: string, reportId: string, resolution: string): Promise<Report> {
  await requireOperator(deps, operatorId);
  const report = await deps.reports.find(reportId);
  if (!report) throw new NotFound("no such report");
  if (report.status !== "open") throw new Conflict("report already resolved");
  const at = clockOf(deps);
  const text = resolution.trim();
  const resolved = await deps.reports.resolve(reportId, { by: operatorId, text, at }, { actorId: operatorId, action: "report.resolve", targetId: reportId, reason: text, at });
  // Resolved by another operator between the read and the write.
  if (!resolved) throw new Conflict("report already resolved");
  return reportView(resolved);
}

/** The audit log's actor for the command line (`npm run admin`), where no account acts. */
export const COMMAND_LINE_ACTOR = "00000000-0000-0000-0000-000000000000";

/**
 * Grants or revokes the operator flag (`npm run admin -- grant|revoke <email>`; no route does).
 * `who` says where it was run from, for the audit entry. NOT_FOUND when no account has the email.
 */
export async function setOperator(deps: Pick<AdminDeps, "moderation" | "now">, email: string, operator: boolean, who: string): Promise<AdminUser> {
  const action = operator ? "operator.grant" : "operator.revoke";
  const user = await deps.moderation.setOperator(normalizeEmail(email), operator, { actorId: COMMAND_LINE_ACTOR, action, reason: who, at: clockOf(deps) });
  if (!user) throw new NotFound(`no account with the email ${normalizeEmail(email)}`);
  return adminUserView(user);
}

export function auditView(e: AuditEntry): AuditEntryWire {
  return { id: e.id, actorId: e.actorId, action: e.action, targetId: e.targetId, reason: e.reason, at: e.at.toISOString() };
}

export async function listAudit(deps: AdminDeps, operatorId: string, query: { cursor?: string; limit: number }): Promise<{ entries: AuditEntryWire[]; nextCursor: string | null }> {
  await requireOperator(deps, operatorId);
  const page = await deps.audit.page({ before: query.cursor, limit: Math.min(query.limit, PAGE_LIMIT_MAX) });
  return { entries: page.items.map(auditView), nextCursor: page.nextCursor };
}
