/**
 * Suspension (PROTOCOL.md, "Accounts and rooms over their life"): an operator suspends an account;
 * at once, on every node, its tokens get 401 and its sockets are disconnected (every live session
 * is revoked through the path logout takes: SessionRepository, announced on the cluster bus), and
 * its bots' tokens are refused and their sockets closed too (bots.ts), and
 * its login is refused with FORBIDDEN, SUSPENDED at the head of the detail. Lifting it lets the
 * user log in again; the sessions it ended stay ended. Signing up again with the email stays a
 * plain CONFLICT: the account exists.
 */
import { clockOf, adminUserView, requireOperator, type AdminDeps } from "./admin.js";
import { Invalid, NotFound, Suspended } from "./errors.js";
import type { SessionRepository } from "./ports/session-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import type { UserRecord } from "./user.js";
import type { AdminUser } from "../protocol/admin.js";

/** Refuses the login of a suspended account. Asked only once the password matched, so a suspension is not shown to someone without it. */
export function refuseSuspended(user: Pick<UserRecord, "suspendedAt">): void {
  if (user.suspendedAt) throw new Suspended();
}

async function revokeEverySession(deps: { sessions: SessionRepository }, userId: string, now: Date): Promise<void> {
  await deps.sessions.revokeMany(await deps.sessions.liveIdsOf(userId), now);
}

/**
 * Login's second look, once its session exists. A suspension writes the account first and lists
 * the sessions to revoke after; a login reads the account first and opens its session after. A
 * suspension that landed between the two would miss the new session, so the login reads the
 * account again: of the two, one always sees the other.
 */
export async function refuseIfSuspendedMeanwhile(deps: { users: UserRepository; sessions: SessionRepository }, userId: string, now: Date): Promise<void> {
  const user = await deps.users.findById(userId);
  if (!user?.suspendedAt) return;
  await revokeEverySession(deps, userId, now);
  throw new Suspended();
}

/**
 * Suspends the account (again: the reason is replaced, the time kept) and ends every login of it
 * on every node. An operator cannot suspend themselves (nobody would be left to lift it).
 */
export async function suspendUser(deps: AdminDeps, operatorId: string, userId: string, reason: string): Promise<AdminUser> {
  await requireOperator(deps, operatorId);
  if (userId === operatorId) throw new Invalid("an operator cannot suspend themselves", [{ path: "id", message: "is yourself" }]);
  const at = clockOf(deps);
  const text = reason.trim();
  const user = await deps.moderation.setSuspension(userId, { at, reason: text }, { actorId: operatorId, action: "user.suspend", targetId: userId, reason: text, at });
  if (!user) throw new NotFound("no such user");
  // After the suspension is stored, never before: see refuseIfSuspendedMeanwhile.
  await revokeEverySession(deps, userId, at);
  // Its bots (and the bot it is) act with tokens of their own, not sessions: cut off on every node too.
  await deps.bots.cutOff(await deps.bots.liveIdsFor(userId));
  return adminUserView(user);
}

export async function unsuspendUser(deps: AdminDeps, operatorId: string, userId: string, reason = ""): Promise<AdminUser> {
  await requireOperator(deps, operatorId);
  const at = clockOf(deps);
  const user = await deps.moderation.setSuspension(userId, null, { actorId: operatorId, action: "user.unsuspend", targetId: userId, reason: reason.trim(), at });
  if (!user) throw new NotFound("no such user");
  return adminUserView(user);
}
