import { CANNOT_MESSAGE, refuseIfBlocked } from "./blocks.js";
import { Forbidden, Invalid, NotFound } from "./errors.js";
import type { BlockRepository } from "./ports/block-repository.js";
import type { Broadcaster } from "./ports/broadcaster.js";
import type { CallRegistry } from "./ports/call-registry.js";
import type { FeedPublisher } from "./ports/feed.js";
import type { PresenceReader } from "./ports/presence.js";
import type { ReceiptBatches } from "./receipt-batches.js";
import { handOverOnLeave, requireModerator, requireOutranks } from "./room-ranks.js";
import { postNotice } from "./room-notices.js";
import { byActivity, renderEntries, renderRoomFor, type RoomView, type RoomViewDeps } from "./room-views.js";
import { viewUser } from "./user.js";
import { ROOM_NAME_MAX, GROUP_INVITES_MAX } from "../protocol/limits.js";
import type { RoomDetail, RoomMember } from "../protocol/rooms.js";

export interface RoomDeps extends RoomViewDeps {
  presence: PresenceReader;
  feed: FeedPublisher;
  broadcaster: Broadcaster;
  /** A blocked user cannot open a direct room with, or invite, the blocker (blocks.ts). */
  blocks: BlockRepository;
  /** Whoever leaves a room leaves its call (absent where calls are not wired: unit tests of other features). */
  calls?: Pick<CallRegistry, "evict">;
  /** The node's read receipts, in batches (one per node, over `messages`). */
  receipts: ReceiptBatches;
}

// Wire limits are the contract's (src/protocol/limits.ts): re-exported for the callers that read them here.
export { ROOM_NAME_MAX, GROUP_INVITES_MAX };

/**
 * Every room use case starts here: non-members are refused before anything is read, with the
 * same NotFound as for a room that does not exist, so room ids cannot be probed (PROTOCOL).
 * FORBIDDEN is kept for members who lack a role.
 */
export async function requireMember(deps: Pick<RoomDeps, "rooms">, roomId: string, userId: string): Promise<void> {
  if (await deps.rooms.isMember(roomId, userId)) return;
  throw new NotFound("no such room");
}

async function viewFor(deps: RoomDeps, userId: string, roomId: string): Promise<RoomView> {
  const view = await renderRoomFor(deps, userId, roomId);
  if (!view) throw new NotFound("no such room");
  return view;
}

export async function createDirectRoom(deps: RoomDeps, userId: string, otherId: string): Promise<{ room: RoomView; created: boolean }> {
  if (otherId === userId) throw new Invalid("a direct room needs another user", [{ path: "userId", message: "is yourself" }]);
  if (!(await deps.users.findById(otherId))) throw new NotFound("no such user");
  // Also when the room exists already: reopening it would let the blocked user write again.
  await refuseIfBlocked(deps, userId, otherId, CANNOT_MESSAGE);
  const { room, created } = await deps.rooms.ensureDirect(userId, otherId);
  if (created) await deps.feed.roomChanged(room.id, [userId, otherId]);
  return { room: await viewFor(deps, userId, room.id), created };
}

export async function listRooms(deps: RoomDeps, userId: string): Promise<RoomView[]> {
  return (await renderEntries(deps, await deps.rooms.roomsOf(userId))).sort(byActivity);
}

/** A member as the room's detail lists them (the contract's RoomMember, src/protocol/rooms.ts). */
export type MemberView = RoomMember;

export async function getRoom(deps: RoomDeps, userId: string, roomId: string): Promise<RoomDetail> {
  await requireMember(deps, roomId, userId);
  const [room, memberships] = await Promise.all([viewFor(deps, userId, roomId), deps.rooms.members(roomId)]);
  const ids = memberships.map((m) => m.userId);
  const [users, presence] = await Promise.all([deps.users.findManyByIds(ids), deps.presence.statusOf(ids)]);
  const byId = new Map(users.map((u) => [u.id, u]));
  const members = memberships.flatMap((m) => {
    const user = byId.get(m.userId);
    if (!user) return [];
    // An expired mute is no mute: shown as null, as the send check reads it.
    const mutedUntil = m.mutedUntil && m.mutedUntil.getTime() > Date.now() ? m.mutedUntil.toISOString() : null;
    return [{ user: viewUser(user, userId), role: m.role, lastReadSeq: m.lastReadSeq, presence: presence.get(m.userId) ?? { status: "offline" as const, lastSeenAt: null }, mutedUntil }];
  });
  return { room, members };
}

/**
 * The one removal path (leave, removal by the owner, ban): the membership goes, the user's sockets
 * leave the room on every node, and their feed says room.removed. A no-op for a non-member.
 */
export async function removeFromRoom(deps: RoomDeps, roomId: string, userId: string) {
  if (!(await deps.rooms.removeMember(roomId, userId))) return;
  deps.broadcaster.detachUser(userId, roomId);
  // Out of the room, out of its call (the change is announced where the connection is).
  await deps.calls?.evict(roomId, userId);
  await deps.feed.publish(userId, { type: "room.removed", data: { roomId } });
  await deps.feed.roomChanged(roomId, await deps.rooms.memberIds(roomId));
}

export async function leaveRoom(deps: RoomDeps, userId: string, roomId: string): Promise<void> {
  await requireMember(deps, roomId, userId);
  // A group's owner hands the room over first (room-ranks.ts), so it is never left without one.
  await handOverOnLeave(deps, userId, roomId);
  await removeFromRoom(deps, roomId, userId);
}

/** The owner or an admin removes someone of lower rank (a kick: they may be invited back; a ban keeps them out). */
export async function removeMember(deps: RoomDeps, actorId: string, roomId: string, memberId: string): Promise<void> {
  await requireMember(deps, roomId, actorId);
  if (memberId === actorId) throw new Invalid("leave with POST /leave", [{ path: "userId", message: "is yourself" }]);
  const { membership } = await requireModerator(deps, actorId, roomId);
  const target = await deps.rooms.membership(roomId, memberId);
  if (!target) throw new NotFound("not a member of this room");
  requireOutranks(membership, target, "remove");
  await removeFromRoom(deps, roomId, memberId);
  const user = await deps.users.findById(memberId);
  await postNotice(deps, roomId, actorId, `removed ${user?.displayName ?? "a member"}`);
}

export async function setMuted(deps: RoomDeps, userId: string, roomId: string, muted: boolean): Promise<boolean> {
  await requireMember(deps, roomId, userId);
  await deps.rooms.setMuted(roomId, userId, muted);
  return muted;
}
