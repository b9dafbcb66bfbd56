/**
 * Who may do what to whom in a group room (PROTOCOL.md, "Accounts and rooms over their life").
 * Ranks: owner > admin > member > anyone not in the room. One may act only on lower ranks, so an
 * admin cannot ban, mute or unmute the owner or another admin, and nobody acts on themselves.
 * Direct rooms have no owner or admins: their two members are equals, and every admin action
 * there is FORBIDDEN.
 *
 * The order of the checks is the order of what may be told: a non-member gets NOT_FOUND exactly
 * as for a room that does not exist (so ids cannot be probed); a member who lacks the rank gets
 * FORBIDDEN before anything about the target is looked at.
 */
import { Forbidden, NotFound } from "./errors.js";
import type { MemberRole, MembershipRecord, RoomRecord } from "./ports/room-repository.js";
import { postNotice, type NoticeDeps } from "./room-notices.js";
import type { RoomDeps } from "./rooms.js";

const RANK: Record<MemberRole, number> = { owner: 3, admin: 2, member: 1 };
/** A user who is not in the room (a banned user, or anyone about to be banned pre-emptively). */
const OUTSIDER = 0;

export const rankOf = (membership: Pick<MembershipRecord, "role"> | null): number => (membership ? (RANK[membership.role] ?? RANK.member) : OUTSIDER);

export interface Acting {
  room: RoomRecord;
  membership: MembershipRecord;
}

/** The actor's room and membership, if they are a member of a group room with at least `role`. */
async function requireRank(deps: Pick<RoomDeps, "rooms">, actorId: string, roomId: string, role: MemberRole, refusal: string): Promise<Acting> {
  const [room, membership] = await Promise.all([deps.rooms.find(roomId), deps.rooms.membership(roomId, actorId)]);
  if (!room || !membership) throw new NotFound("no such room");
  if (room.type !== "group") throw new Forbidden("direct rooms have no owner or admins");
  if (rankOf(membership) < RANK[role]) throw new Forbidden(refusal);
  return { room, membership };
}

/** The owner or an admin: settings, bans, mutes. */
export const requireModerator = (deps: Pick<RoomDeps, "rooms">, actorId: string, roomId: string) =>
  requireRank(deps, actorId, roomId, "admin", "only the room's owner and admins can do this");

/** The owner alone: roles and transfer. */
export const requireOwner = (deps: Pick<RoomDeps, "rooms">, actorId: string, roomId: string) =>
  requireRank(deps, actorId, roomId, "owner", "only the room's owner can do this");

/** FORBIDDEN unless the actor outranks the target (`null`: the target is not in the room). */
export function requireOutranks(actor: MembershipRecord, target: MembershipRecord | null, what: string): void {
  if (rankOf(actor) <= rankOf(target)) throw new Forbidden(`only a higher rank can ${what} the room's ${target?.role ?? "member"}s`);
}

/**
 * Before the owner of a group leaves: ownership goes to the oldest admin, else to the oldest
 * member (by joinedAt), and the room is told by a system message from the leaver. A room with
 * nobody else in it is left without an owner and stays empty (no one can be invited into it).
 * Does nothing for anyone but a group's owner.
 */
export async function handOverOnLeave(deps: NoticeDeps, leaverId: string, roomId: string): Promise<void> {
  const room = await deps.rooms.find(roomId);
  if (room?.type !== "group") return;
  const members = await deps.rooms.members(roomId);
  if (members.find((m) => m.userId === leaverId)?.role !== "owner") return;
  const others = members.filter((m) => m.userId !== leaverId);
  // members() is in joinedAt order: the first admin is the oldest.
  const heir = others.find((m) => m.role === "admin") ?? others[0];
  if (!heir) return;
  // A transfer that matched nothing (the heir left meanwhile, or the leaver is no longer owner)
  // leaves the room as it is: the leave still goes ahead, as it would without an heir.
  if (!(await deps.rooms.transferOwnership(roomId, leaverId, heir.userId))) return;
  const user = await deps.users.findById(heir.userId);
  await postNotice(deps, roomId, leaverId, `left and handed ownership to ${user?.displayName ?? "a member"}`);
}
