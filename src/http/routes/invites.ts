import { answerInvite, inviteToRoom, listInvites } from "../../domain/invites.js";
import type { RoomDeps } from "../../domain/rooms.js";
import { ANSWERS, IdParams } from "../../protocol/common.js";
import { InviteAnswerReply, InviteBody, InvitesReply } from "../../protocol/invites.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerInviteRoutes(kit: RouteKit, deps: RoomDeps) {
  // Documented with the rooms they lead into.
  const tag = "rooms";

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

  for (const [verb, answer] of ANSWERS) {
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
}
