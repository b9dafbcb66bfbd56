/**
 * Reports (PROTOCOL.md, "Accounts and rooms over their life"): a user reports a message of a room
 * they are in, or another user. A message report reaches the room's owner and admins at once as a
 * `report.created` feed event; every report waits for the operators (src/domain/admin.ts), who
 * list and resolve them.
 */
import { Invalid, NotFound } from "./errors.js";
import { seqOfMessageId } from "./message.js";
import type { ReportRecord, ReportRepository, ReportTarget } from "./ports/report-repository.js";
import { requireMember, type RoomDeps } from "./rooms.js";
import type { Report, RoomReport } from "../protocol/reports.js";

export interface ReportDeps extends RoomDeps {
  reports: ReportRepository;
}

// The roles that moderate a room: they hear of its message reports. A Set of strings, so the
// rule reads the same whatever roles the room repository knows.
const MODERATING_ROLES: ReadonlySet<string> = new Set(["owner", "admin"]);

/** `${roomId}:${seq}` split, or null when it names no message. */
export function parseMessageId(messageId: string): { roomId: string; seq: number } | null {
  const colon = messageId.lastIndexOf(":");
  if (colon <= 0) return null;
  const roomId = messageId.slice(0, colon);
  const seq = seqOfMessageId(roomId, messageId);
  return seq === null ? null : { roomId, seq };
}

export function reportView(r: ReportRecord): Report {
  return {
    id: r.id,
    reporterId: r.reporterId,
    messageId: r.roomId !== null && r.seq !== null ? `${r.roomId}:${r.seq}` : null,
    roomId: r.roomId,
    seq: r.seq,
    userId: r.targetUserId,
    reason: r.reason,
    status: r.status,
    resolvedBy: r.resolvedBy,
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    resolution: r.resolution,
    createdAt: r.createdAt.toISOString(),
  };
}

/** What the room's moderators are shown: not who reported. */
function roomReportView(r: ReportRecord): RoomReport {
  const { id, messageId, roomId, seq, userId, reason, createdAt } = reportView(r);
  return { id, messageId, roomId, seq, userId, reason, createdAt };
}

/**
 * Files a report. A message must be in a room the reporter is a member of: otherwise NOT_FOUND,
 * as for a room that does not exist (room ids cannot be probed). The same reporter's open report
 * of the same message or user is returned again instead of a second one, so a repeated click
 * does not notify the room's moderators twice.
 */
export async function createReport(deps: ReportDeps, reporterId: string, input: { messageId?: string; userId?: string; reason: string }): Promise<Report> {
  const reason = input.reason.trim();
  if ((input.messageId === undefined) === (input.userId === undefined)) {
    throw new Invalid("give exactly one of messageId and userId", [{ path: "messageId", message: "exactly one of messageId and userId" }]);
  }
  if (input.messageId !== undefined) return reportMessage(deps, reporterId, input.messageId, reason);
  const userId = input.userId!;
  if (userId === reporterId) throw new Invalid("you cannot report yourself", [{ path: "userId", message: "is yourself" }]);
  if (!(await deps.users.findById(userId))) throw new NotFound("no such user");
  const target: ReportTarget = { targetUserId: userId };
  const existing = await deps.reports.findOpen(reporterId, target);
  if (existing) return reportView(existing);
  return reportView(await deps.reports.create({ reporterId, roomId: null, seq: null, targetUserId: userId, reason }));
}

async function reportMessage(deps: ReportDeps, reporterId: string, messageId: string, reason: string): Promise<Report> {
  const at = parseMessageId(messageId);
  if (!at) throw new NotFound("no such message");
  await requireMember(deps, at.roomId, reporterId);
  const message = await deps.messages.get(at.roomId, at.seq);
  if (!message) throw new NotFound("no such message in this room");
  const existing = await deps.reports.findOpen(reporterId, at);
  if (existing) return reportView(existing);
  const report = await deps.reports.create({ reporterId, roomId: at.roomId, seq: at.seq, targetUserId: message.senderId, reason });
  const moderators = (await deps.rooms.members(at.roomId)).filter((m) => MODERATING_ROLES.has(m.role) && m.userId !== reporterId);
  const event = { type: "report.created" as const, data: { report: roomReportView(report) } };
  await Promise.all(moderators.map((m) => deps.feed.publish(m.userId, event)));
  return reportView(report);
}
