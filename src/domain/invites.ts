import { refuseIfAnyBlocked } from "./blocks.js";
import { Conflict, Invalid, NotFound } from "./errors.js";
import type { InviteRecord } from "./ports/room-repository.js";
import { refuseBannedInvitees, refuseIfBanned } from "./room-bans.js";
import { renderRoomFor, type RoomView } from "./room-views.js";
import { GROUP_INVITES_MAX, requireMember, ROOM_NAME_MAX, type RoomDeps } from "./rooms.js";
import type { Invite } from "../protocol/invites.js";

/** The contract's invite (src/protocol/invites.ts). */
export type InviteView = Invite;

const viewInvite = (i: InviteRecord): InviteView => ({ ...i, createdAt: i.createdAt.toISOString() });

/** The room as the invitee will see it once in (a non-member has no read cursor yet). */
async function roomPreview(deps: RoomDeps, invite: InviteRecord): Promise<RoomView | null> {
  return renderRoomFor(deps, invite.inviterId, invite.roomId).then((r) => r && { ...r, unreadCount: 0, lastReadSeq: 0 });
}

/**
 * The distinct users to invite, each existing and none having blocked the inviter, before
 * anything is written. One invitee who blocked the inviter refuses the whole request (FORBIDDEN,
 * naming no one), for a group's creation with memberIds as for an invite: nothing is created.
 */
async function checkInvitees(deps: RoomDeps, inviterId: string, userIds: string[]): Promise<string[]> {
  const ids = [...new Set(userIds)].filter((id) => id !== inviterId);
  if (ids.length > GROUP_INVITES_MAX) throw new Invalid(`at most ${GROUP_INVITES_MAX} invitees at once`, [{ path: "userIds", message: "too many" }]);
  const found = await deps.users.findManyByIds(ids);
  if (found.length !== ids.length) throw new NotFound("some invited users do not exist");
  await refuseIfAnyBlocked(deps, inviterId, ids);
  return ids;
}

async function invite(deps: RoomDeps, inviterId: string, roomId: string, ids: string[]): Promise<InviteView[]> {
  const results = await deps.rooms.createInvites(roomId, inviterId, ids);
  const fresh = results.filter((r) => r.created).map((r) => r.invite);
  // Every invitee sees the same preview: render it once.
  const room = fresh[0] ? await roomPreview(deps, fresh[0]) : null;
  await Promise.all(fresh.map((invite) => deps.feed.publish(invite.inviteeId, { type: "invite.created", data: { invite: viewInvite(invite), room } })));
  return results.map((r) => viewInvite(r.invite));
}

export async function createGroupRoom(deps: RoomDeps, ownerId: string, input: { name: string; memberIds: string[] }): Promise<RoomView> {
  const name = input.name.trim();
  if (!name || name.length > ROOM_NAME_MAX) throw new Invalid(`name must be 1-${ROOM_NAME_MAX} characters`, [{ path: "name", message: "bad length" }]);
  // Checked first: a refused creation must not leave an empty group behind.
  const invitees = await checkInvitees(deps, ownerId, input.memberIds);
  const room = await deps.rooms.createGroup(ownerId, name);
  await invite(deps, ownerId, room.id, invitees);
  await deps.feed.roomChanged(room.id, [ownerId]);
  const view = await renderRoomFor(deps, ownerId, room.id);
  if (!view) throw new NotFound("no such room");
  return view;
}

/** Any member of a group may invite anyone not banned from it; users already in the room are skipped. */
export async function inviteToRoom(deps: RoomDeps, inviterId: string, roomId: string, userIds: string[]): Promise<InviteView[]> {
  await requireMember(deps, roomId, inviterId);
  const room = await deps.rooms.find(roomId);
  if (room?.type !== "group") throw new Invalid("direct rooms have exactly two members", [{ path: "roomId", message: "is a direct room" }]);
  const invitees = await checkInvitees(deps, inviterId, userIds);
  await refuseBannedInvitees(deps, roomId, invitees);
  return invite(deps, inviterId, roomId, invitees);
}

export async function listInvites(deps: RoomDeps, userId: string): Promise<InviteView[]> {
  return (await deps.rooms.pendingInvites(userId)).map(viewInvite);
}

/** Only the invitee may answer; to anyone else the invite does not exist. */
export async function answerInvite(
  deps: RoomDeps,
  userId: string,
  inviteId: string,
  answer: "accepted" | "declined",
): Promise<{ invite: InviteView; room?: RoomView }> {
  const found = await deps.rooms.findInvite(inviteId);
  if (!found || found.inviteeId !== userId) throw new NotFound("no such invite");
  // Before the status: a ban cancels the invite, and its invitee is told why they cannot join.
  if (answer === "accepted") await refuseIfBanned(deps, found.roomId, userId);
  if (found.status !== "pending") throw new Conflict(`invite already ${found.status}`);
  const answered = await deps.rooms.answerInvite(inviteId, answer, new Date());
  if (!answered) throw new Conflict("invite was answered meanwhile");
  const view = viewInvite(answered);
  const room = answer === "accepted" ? ((await renderRoomFor(deps, userId, answered.roomId)) ?? undefined) : undefined;
  const preview = room ?? (await roomPreview(deps, answered));
  for (const to of [answered.inviteeId, answered.inviterId]) {
    await deps.feed.publish(to, { type: "invite.updated", data: { invite: view, room: preview } });
  }
  if (answer === "accepted") await deps.feed.roomChanged(answered.roomId, await deps.rooms.memberIds(answered.roomId));
  return room ? { invite: view, room } : { invite: view };
}
