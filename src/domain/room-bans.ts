/**
 * Bans (PROTOCOL.md, "Accounts and rooms over their life"): the owner and admins ban users of
 * lower rank from a group room. A banned user is removed through the one removal path
 * (rooms.ts: sockets detached on every node, room.removed in their feed), their pending invites to
 * the room are cancelled, and they cannot be invited, accept an invite or send: FORBIDDEN, the one
 * non-member who is told the room exists. Anyone else not in the room still gets NOT_FOUND.
 *
 * Idempotent both ways: banning again answers the ban as it was (its first reason and time) and
 * leaves no second notice; unbanning someone not banned is a no-op.
 */
import { Forbidden, Invalid, NotFound } from "./errors.js";
import type { BanRecord, RoomRepository } from "./ports/room-repository.js";
import { postNotice, type NoticeDeps } from "./room-notices.js";
import { requireModerator, requireOutranks } from "./room-ranks.js";
import { removeFromRoom } from "./rooms.js";
import { BAN_REASON_MAX } from "../protocol/limits.js";
import type { RoomBan } from "../protocol/room-admin.js";

/** The contract's ban (src/protocol/room-admin.ts). */
export type BanView = RoomBan;

const viewBan = (b: BanRecord): BanView => ({ userId: b.userId, bannedBy: b.bannedBy, reason: b.reason, createdAt: b.createdAt.toISOString() });

// The same words wherever a ban refuses something, naming neither who banned nor why.
export const BANNED = "you are banned from this room";

/** PUT /api/rooms/:id/bans/:userId. The target may be a member of lower rank or anyone not in the room. */
export async function banUser(deps: NoticeDeps, actorId: string, roomId: string, targetId: string, reason = ""): Promise<BanView> {
  const { membership } = await requireModerator(deps, actorId, roomId);
  if (targetId === actorId) throw new Invalid("cannot ban yourself", [{ path: "userId", message: "is yourself" }]);
  const why = reason.trim();
  if (why.length > BAN_REASON_MAX) throw new Invalid(`reason must be at most ${BAN_REASON_MAX} characters`, [{ path: "reason", message: "too long" }]);
  const [user, target] = await Promise.all([deps.users.findById(targetId), deps.rooms.membership(roomId, targetId)]);
  if (!user) throw new NotFound("no such user");
  requireOutranks(membership, target, "ban");
  const { ban, created, canceled } = await deps.rooms.ban(roomId, targetId, actorId, why, new Date());
  // Also when the ban existed: a retry after a failure between the two steps finishes the removal.
  await removeFromRoom(deps, roomId, targetId);
  for (const invite of canceled) {
    await deps.feed.publish(targetId, { type: "invite.updated", data: { invite: { ...invite, createdAt: invite.createdAt.toISOString() }, room: null } });
  }
  // The reason stays with the owner and admins (GET /bans): the room is told who, not why.
  if (created) await postNotice(deps, roomId, actorId, `banned ${user.displayName}`);
  return viewBan(ban);
}

/** DELETE /api/rooms/:id/bans/:userId. The banned user is not let back in: they can be invited again. */
export async function unbanUser(deps: NoticeDeps, actorId: string, roomId: string, targetId: string): Promise<void> {
  await requireModerator(deps, actorId, roomId);
  if (!(await deps.rooms.unban(roomId, targetId))) return;
  const user = await deps.users.findById(targetId);
  await postNotice(deps, roomId, actorId, `lifted the ban on ${user?.displayName ?? "a user"}`);
}

/** GET /api/rooms/:id/bans: oldest first. */
export async function listBans(deps: NoticeDeps, actorId: string, roomId: string): Promise<BanView[]> {
  await requireModerator(deps, actorId, roomId);
  return (await deps.rooms.bans(roomId)).map(viewBan);
}

/** For invites: FORBIDDEN when any of `userIds` is banned from the room (one refusal for the request, naming no one). */
export async function refuseBannedInvitees(deps: { rooms: Pick<RoomRepository, "bans"> }, roomId: string, userIds: string[]): Promise<void> {
  if (!userIds.length) return;
  const banned = new Set((await deps.rooms.bans(roomId)).map((b) => b.userId));
  if (userIds.some((id) => banned.has(id))) throw new Forbidden("a user you invited is banned from this room");
}

/** For accepting an invite and for sends by non-members: FORBIDDEN when the user is banned from the room. */
export async function refuseIfBanned(deps: { rooms: Pick<RoomRepository, "findBan"> }, roomId: string, userId: string): Promise<void> {
  if (await deps.rooms.findBan(roomId, userId)) throw new Forbidden(BANNED);
}
