import { setMemberRole, transferRoom, updateRoomSettings, type RoomAdminDeps } from "../../domain/room-admin.js";
import { banUser, listBans, unbanUser } from "../../domain/room-bans.js";
import { muteMember, unmuteMember } from "../../domain/room-mutes.js";
import { IdParams } from "../../protocol/common.js";
import { BanBody, BanReply, BansReply, MuteMemberBody, MuteMemberReply, RoleBody, RoomPatchBody, TransferBody } from "../../protocol/room-admin.js";
import { MemberParams, RoomReply } from "../../protocol/rooms.js";
import { defineRoute, type RouteKit } from "../route.js";

/** PATCH /api/rooms/:id, roles, transfer, bans and mutes: group rooms, by rank (src/domain/room-ranks.ts). */
export function registerRoomAdminRoutes(kit: RouteKit, deps: RoomAdminDeps) {
  // Documented with the rooms they manage.
  const tag = "rooms";

  defineRoute(
    kit,
    {
      method: "patch",
      path: "/rooms/:id",
      summary: "Rename a group or set its topic (owner and admins; direct rooms: 403)",
      tag,
      params: IdParams,
      body: RoomPatchBody,
      responses: { 200: { description: "The room as the caller sees it", schema: RoomReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { room: await updateRoomSettings(deps, auth.userId, params.id, body) } }),
  );

  defineRoute(
    kit,
    {
      method: "put",
      path: "/rooms/:id/members/:userId/role",
      summary: "Make a member an admin or an admin a member (the owner only)",
      tag,
      params: MemberParams,
      body: RoleBody,
      responses: { 200: { description: "The room as the caller sees it", schema: RoomReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { room: await setMemberRole(deps, auth.userId, params.id, params.userId, body.role) } }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms/:id/transfer",
      summary: "Hand the room to another member (the owner only; the old owner becomes an admin)",
      tag,
      params: IdParams,
      body: TransferBody,
      responses: { 200: { description: "The room as the caller sees it", schema: RoomReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { room: await transferRoom(deps, auth.userId, params.id, body.userId) } }),
  );

  defineRoute(
    kit,
    {
      method: "put",
      path: "/rooms/:id/bans/:userId",
      summary: "Ban a user of lower rank: removed, and refused on invite, rejoin and send (owner and admins; idempotent)",
      tag,
      params: MemberParams,
      body: BanBody,
      responses: { 200: { description: "The ban (as first made, when it existed)", schema: BanReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { ban: await banUser(deps, auth.userId, params.id, params.userId, body.reason) } }),
  );

  defineRoute(
    kit,
    {
      method: "delete",
      path: "/rooms/:id/bans/:userId",
      summary: "Lift a ban (owner and admins; idempotent)",
      tag,
      params: MemberParams,
      responses: { 204: { description: "Not banned" } },
    },
    async ({ auth, params }) => {
      await unbanUser(deps, auth.userId, params.id, params.userId);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    { method: "get", path: "/rooms/:id/bans", summary: "The room's bans, oldest first (owner and admins)", tag, params: IdParams, responses: { 200: { description: "Bans", schema: BansReply } } },
    async ({ auth, params }) => ({ status: 200, body: { bans: await listBans(deps, auth.userId, params.id) } }),
  );

  defineRoute(
    kit,
    {
      method: "put",
      path: "/rooms/:id/mutes/:userId",
      summary: "Refuse a member's sends for some seconds (owner and admins, on lower ranks)",
      tag,
      params: MemberParams,
      body: MuteMemberBody,
      responses: { 200: { description: "The mute", schema: MuteMemberReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { mute: await muteMember(deps, auth.userId, params.id, params.userId, body.seconds) } }),
  );

  defineRoute(
    kit,
    {
      method: "delete",
      path: "/rooms/:id/mutes/:userId",
      summary: "Lift a member's mute (owner and admins, on lower ranks; idempotent)",
      tag,
      params: MemberParams,
      responses: { 204: { description: "Not muted" } },
    },
    async ({ auth, params }) => {
      await unmuteMember(deps, auth.userId, params.id, params.userId);
      return { status: 204 };
    },
  );
}
