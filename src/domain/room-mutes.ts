/**
 * Mutes (PROTOCOL.md, "Accounts and rooms over their life"): the owner and admins mute a member of
 * lower rank for some seconds; until then the member's sends (socket message:send and HTTP POST
 * messages, the one send path) are FORBIDDEN with the time left. Sends only, as the contract says:
 * a muted member still reads, reacts, edits and deletes their own messages, and marks read.
 * Nothing runs when a mute ends: every send compares `until` with the clock.
 *
 * The check runs on every send, so it reads what the member check reads: the room repository's
 * per-node member cache carries each member's mute (src/store/cached-rooms.ts), and a mute or
 * unmute through any node is in force on every node once answered.
 */
import { Forbidden, Invalid, NotFound } from "./errors.js";
import type { RoomRepository } from "./ports/room-repository.js";
import { refuseIfBanned } from "./room-bans.js";
import { postNotice, spokenDuration, type NoticeDeps } from "./room-notices.js";
import { requireModerator, requireOutranks } from "./room-ranks.js";
import { MUTE_SECONDS_MAX } from "../protocol/limits.js";
import type { RoomMute } from "../protocol/room-admin.js";

/** The contract's mute (src/protocol/room-admin.ts). */
export type MuteView = RoomMute;

/** `now` is the deps clock where one is given (tests), else the system's. */
type Clocked = { now?: () => Date };
const nowOf = (deps: Clocked) => (deps.now ? deps.now() : new Date());

/** PUT /api/rooms/:id/mutes/:userId: muted for `seconds` from now; muting again sets a new end. */
export async function muteMember(deps: NoticeDeps & Clocked, actorId: string, roomId: string, targetId: string, seconds: number): Promise<MuteView> {
  const { membership } = await requireModerator(deps, actorId, roomId);
  if (targetId === actorId) throw new Invalid("cannot mute yourself", [{ path: "userId", message: "is yourself" }]);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MUTE_SECONDS_MAX) {
    throw new Invalid(`seconds must be a whole number from 1 to ${MUTE_SECONDS_MAX}`, [{ path: "seconds", message: "out of range" }]);
  }
  const target = await deps.rooms.membership(roomId, targetId);
  if (!target) throw new NotFound("not a member of this room");
  requireOutranks(membership, target, "mute");
  const until = new Date(nowOf(deps).getTime() + seconds * 1000);
  if (!(await deps.rooms.setMutedUntil(roomId, targetId, until))) throw new NotFound("not a member of this room");
  const user = await deps.users.findById(targetId);
  await postNotice(deps, roomId, actorId, `muted ${user?.displayName ?? "a member"} for ${spokenDuration(seconds)}`);
  return { userId: targetId, until: until.toISOString() };
}

/** DELETE /api/rooms/:id/mutes/:userId: a no-op for anyone not muted (or not in the room). */
export async function unmuteMember(deps: NoticeDeps & Clocked, actorId: string, roomId: string, targetId: string): Promise<void> {
  const { membership } = await requireModerator(deps, actorId, roomId);
  const target = await deps.rooms.membership(roomId, targetId);
  if (!target?.mutedUntil || target.mutedUntil.getTime() <= nowOf(deps).getTime()) return;
  // One's own mute is no exception: only a higher rank lifts it.
  requireOutranks(membership, target, "unmute");
  await deps.rooms.setMutedUntil(roomId, targetId, null);
  const user = await deps.users.findById(targetId);
  await postNotice(deps, roomId, actorId, `unmuted ${user?.displayName ?? "a member"}`);
}

/**
 * The send path's first step (messages.ts sendMessage), before the member check: FORBIDDEN for a
 * member muted until later (with the time left) and for a banned user (told the room exists).
 * Anyone else not in the room passes through to the member check and its NOT_FOUND. For a member
 * nobody muted this is two lookups in the node's member cache and no query; the ban is looked up
 * only for non-members, whose send fails anyway.
 */
export async function refuseMutedOrBanned(deps: { rooms: Pick<RoomRepository, "isMember" | "mutedUntil" | "findBan"> } & Clocked, senderId: string, roomId: string): Promise<void> {
  if (!(await deps.rooms.isMember(roomId, senderId))) return refuseIfBanned(deps, roomId, senderId);
  const until = await deps.rooms.mutedUntil(roomId, senderId);
  if (!until) return;
  const left = until.getTime() - nowOf(deps).getTime();
  if (left > 0) throw new Forbidden(`you are muted in this room for ${spokenDuration(left / 1000)} more (until ${until.toISOString()})`);
}
