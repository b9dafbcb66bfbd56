import { z } from "zod";
import { answerInvite, createGroupRoom, inviteToRoom, listInvites } from "../../domain/invites.js";
import { createDirectRoom, getRoom, leaveRoom, listRooms, removeMember, setMuted, type RoomDeps } from "../../domain/rooms.js";
import { Id, IdParams, PresenceSchema, UserSchema } from "../api-schemas.js";
import { MessageSchema } from "./messages.js";
import { defineRoute, type RouteKit } from "../route.js";

export const RoomSchema = z
  .object({
    id: z.string(),
    type: z.enum(["direct", "group"]),
    name: z.string(),
    memberCount: z.number().int(),
    lastMessage: MessageSchema.nullable(),
    lastSeq: z.number().int(),
    unreadCount: z.number().int(),
    lastReadSeq: z.number().int(),
    createdAt: z.string(),
  })
  .meta({ id: "Room" });

const InviteSchema = z
  .object({ id: z.string(), roomId: z.string(), inviterId: z.string(), inviteeId: z.string(), status: z.string(), createdAt: z.string() })
  .meta({ id: "Invite" });

const CreateRoom = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("direct"), userId: Id }),
  z.strictObject({ type: z.literal("group"), name: z.string().trim().min(1).max(100), memberIds: z.array(Id).max(100).default([]) }),
]);

export function registerRoomRoutes(kit: RouteKit, deps: RoomDeps) {
  const tag = "rooms";
  const RoomReply = z.object({ room: RoomSchema });

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms",
      summary: "Open the direct room with a user (200 if it exists) or create a group (its members get invites)",
      tag,
      body: CreateRoom,
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
    { method: "get", path: "/rooms", summary: "The caller's rooms, most recent activity first", tag, responses: { 200: { description: "Rooms", schema: z.object({ rooms: z.array(RoomSchema) }) } } },
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
        200: {
          description: "Room",
          schema: z.object({ room: RoomSchema, members: z.array(z.object({ user: UserSchema, role: z.string(), lastReadSeq: z.number().int(), presence: PresenceSchema })) }),
        },
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
      body: z.strictObject({ userIds: z.array(Id).min(1).max(100) }),
      responses: { 201: { description: "Invites", schema: z.object({ invites: z.array(InviteSchema) }) } },
    },
    async ({ auth, params, body }) => ({ status: 201, body: { invites: await inviteToRoom(deps, auth.userId, params.id, body.userIds) } }),
  );

  defineRoute(
    kit,
    { method: "get", path: "/invites", summary: "Pending invites addressed to the caller", tag, responses: { 200: { description: "Invites", schema: z.object({ invites: z.array(InviteSchema) }) } } },
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
        responses: { 200: { description: "Answered", schema: z.object({ invite: InviteSchema, room: RoomSchema.optional() }) } },
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
      params: z.object({ id: Id, userId: Id }),
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
      body: z.strictObject({ muted: z.boolean() }),
      responses: { 200: { description: "Muted state", schema: z.object({ muted: z.boolean() }) } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { muted: await setMuted(deps, auth.userId, params.id, body.muted) } }),
  );
}
