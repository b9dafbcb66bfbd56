import { answerInvite, createGroupRoom, inviteToRoom, listInvites } from "../../domain/invites.js";
import { createDirectRoom, getRoom, leaveRoom, listRooms, removeMember, setMuted, type RoomDeps } from "../../domain/rooms.js";
import { IdParams } from "../../protocol/common.js";
import { CreateRoomBody, InviteAnswerReply, InviteBody, InvitesReply, MemberParams, MuteBody, MuteReply, RoomDetailReply, RoomReply, RoomsReply } from "../../protocol/rooms.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerRoomRoutes(kit: RouteKit, deps: RoomDeps) {
  const tag = "rooms";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms",
      summary: "Open the direct room with a user (200 if it exists) or create a group (its members get invites)",
      tag,
      body: CreateRoomBody,
      responses: { 201: { description: "Created", schema: RoomReply }, 200: { description: "The pair's existing direct room", schema: RoomReply } },
    },
    async ({ auth, body }) => {
      if (body.type === "direct") {
        const { room, created } = await createDirectRoom(deps, auth.userId, body.userId);
        return { status: created ? 201 : 200, body: { room } };
      }
      return { status: 201, body: { room: await createGroupRoom(deps, auth.userId, { name: body.name, memberIds: body.memberIds }) } };
    },
  );

  defineRoute(
    kit,
    { method: "get", path: "/rooms", summary: "The caller's rooms, most recent activity first", tag, responses: { 200: { description: "Rooms", schema: RoomsReply } } },
    async ({ auth }) => ({ status: 200, body: { rooms: await listRooms(deps, auth.userId) } }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/rooms/:id",
      summary: "A room with its members (members only)",
      tag,
      params: IdParams,
      responses: {
        200: { description: "Room", schema: RoomDetailReply },
      },
    },
    async ({ auth, params }) => ({ status: 200, body: await getRoom(deps, auth.userId, params.id) }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms/:id/invites",
      summary: "Invite users to a group room (members only; users already in it are skipped)",
      tag,
      params: IdParams,
      body: InviteBody,
      responses: { 201: { description: "Invites", schema: InvitesReply } },
    },
    async ({ auth, params, body }) => ({ status: 201, body: { invites: await inviteToRoom(deps, auth.userId, params.id, body.userIds) } }),
  );

  defineRoute(
    kit,
    { method: "get", path: "/invites", summary: "Pending invites addressed to the caller", tag, responses: { 200: { description: "Invites", schema: InvitesReply } } },
    async ({ auth }) => ({ status: 200, body: { invites: await listInvites(deps, auth.userId) } }),
  );

  for (const [verb, answer] of [
    ["accept", "accepted"],
    ["decline", "declined"],
  ] as const) {
    defineRoute(
      kit,
      {
        method: "post",
        path: `/invites/:id/${verb}`,
        summary: `${verb === "accept" ? "Accept (join the room)" : "Decline"} an invite addressed to the caller`,
        tag,
        params: IdParams,
        responses: { 200: { description: "Answered", schema: InviteAnswerReply } },
      },
      async ({ auth, params }) => ({ status: 200, body: await answerInvite(deps, auth.userId, params.id, answer) }),
    );
  }

  defineRoute(
    kit,
    { method: "post", path: "/rooms/:id/leave", summary: "Leave a room", tag, params: IdParams, responses: { 204: { description: "Left" } } },
    async ({ auth, params }) => {
      await leaveRoom(deps, auth.userId, params.id);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    {
      method: "delete",
      path: "/rooms/:id/members/:userId",
      summary: "Remove a member (the room's owner only)",
      tag,
      params: MemberParams,
      responses: { 204: { description: "Removed" } },
    },
    async ({ auth, params }) => {
      await removeMember(deps, auth.userId, params.id, params.userId);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    {
      method: "put",
      path: "/rooms/:id/mute",
      summary: "Mute or unmute a room for the caller",
      tag,
      params: IdParams,
      body: MuteBody,
      responses: { 200: { description: "Muted state", schema: MuteReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { muted: await setMuted(deps, auth.userId, params.id, body.muted) } }),
  );
}
