import { createGroupRoom } from "../../domain/invites.js";
import { createDirectRoom, getRoom, leaveRoom, listRooms, removeMember, setMuted, type RoomDeps } from "../../domain/rooms.js";
import { IdParams } from "../../protocol/common.js";
import { CreateRoomBody, MemberParams, MuteBody, MuteReply, RoomDetailReply, RoomReply, RoomsReply } from "../../protocol/rooms.js";
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
