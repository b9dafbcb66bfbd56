/**
 * Room roles and settings (PROTOCOL.md, "Accounts and rooms over their life"): a group's name and
 * topic (owner and admins), its members' roles and its ownership (owner). Bans are in
 * room-bans.ts, mutes in room-mutes.ts, who outranks whom in room-ranks.ts. Every change leaves a
 * system message by the actor (room-notices.ts); a request that changes nothing leaves none, so
 * every one of these is idempotent.
 */
import { Conflict, Invalid, NotFound } from "./errors.js";
import { renderRoomFor, type RoomView } from "./room-views.js";
import { postNotice, type NoticeDeps } from "./room-notices.js";
import { requireModerator, requireOwner } from "./room-ranks.js";
import { ROOM_NAME_MAX, ROOM_TOPIC_MAX } from "../protocol/limits.js";

export type RoomAdminDeps = NoticeDeps;

async function viewFor(deps: RoomAdminDeps, userId: string, roomId: string): Promise<RoomView> {
  const view = await renderRoomFor(deps, userId, roomId);
  if (!view) throw new NotFound("no such room");
  return view;
}

const nameOf = async (deps: RoomAdminDeps, userId: string) => (await deps.users.findById(userId))?.displayName ?? "a member";

/**
 * PATCH /api/rooms/:id: `name` is trimmed and must keep 1–100 characters; `topic` is trimmed, and
 * "" or null clears it. A field left out is left as it is; an empty patch changes nothing.
 */
export async function updateRoomSettings(deps: RoomAdminDeps, actorId: string, roomId: string, patch: { name?: string; topic?: string | null }): Promise<RoomView> {
  const { room } = await requireModerator(deps, actorId, roomId);
  const name = patch.name?.trim();
  if (name !== undefined && (!name || name.length > ROOM_NAME_MAX)) throw new Invalid(`name must be 1-${ROOM_NAME_MAX} characters`, [{ path: "name", message: "bad length" }]);
  const topic = patch.topic === undefined ? undefined : patch.topic?.trim() || null;
  if (topic && topic.length > ROOM_TOPIC_MAX) throw new Invalid(`topic must be at most ${ROOM_TOPIC_MAX} characters`, [{ path: "topic", message: "too long" }]);
  const change: { name?: string; topic?: string | null } = {};
  if (name !== undefined && name !== room.name) change.name = name;
  if (topic !== undefined && topic !== room.topic) change.topic = topic;
  if (change.name === undefined && change.topic === undefined) return viewFor(deps, actorId, roomId);
  if (!(await deps.rooms.updateRoom(roomId, change))) throw new NotFound("no such room");
  const said: string[] = [];
  if (change.name !== undefined) said.push(`renamed the room to "${change.name}"`);
  if (change.topic !== undefined) said.push(change.topic === null ? "cleared the topic" : `set the topic to "${change.topic}"`);
  await postNotice(deps, roomId, actorId, said.join(" and "));
  return viewFor(deps, actorId, roomId);
}

/** The target's membership, for use cases whose target must be another member of the room. */
async function otherMember(deps: RoomAdminDeps, roomId: string, actorId: string, targetId: string, selfRefusal: string) {
  if (targetId === actorId) throw new Invalid(selfRefusal, [{ path: "userId", message: "is yourself" }]);
  const target = await deps.rooms.membership(roomId, targetId);
  if (!target) throw new NotFound("not a member of this room");
  return target;
}

/** PUT /api/rooms/:id/members/:userId/role: the owner makes a member an admin, or an admin a member. */
export async function setMemberRole(deps: RoomAdminDeps, ownerId: string, roomId: string, targetId: string, role: "admin" | "member"): Promise<RoomView> {
  await requireOwner(deps, ownerId, roomId);
  const target = await otherMember(deps, roomId, ownerId, targetId, "the owner hands the room over with POST /transfer");
  if (target.role !== role) {
    if (!(await deps.rooms.setRole(roomId, targetId, role))) throw new Conflict("the member's role changed meanwhile");
    const who = await nameOf(deps, targetId);
    await postNotice(deps, roomId, ownerId, role === "admin" ? `made ${who} an admin` : `made ${who} a member`);
  }
  return viewFor(deps, ownerId, roomId);
}

/** POST /api/rooms/:id/transfer: another member becomes the owner, and the old owner an admin. */
export async function transferRoom(deps: RoomAdminDeps, ownerId: string, roomId: string, targetId: string): Promise<RoomView> {
  await requireOwner(deps, ownerId, roomId);
  await otherMember(deps, roomId, ownerId, targetId, "you own this room already");
  if (!(await deps.rooms.transferOwnership(roomId, ownerId, targetId))) throw new Conflict("the room's members changed meanwhile");
  await postNotice(deps, roomId, ownerId, `handed ownership to ${await nameOf(deps, targetId)}`);
  return viewFor(deps, ownerId, roomId);
}
