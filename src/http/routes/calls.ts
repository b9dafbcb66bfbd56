import { callParticipants, iceServersFor, type CallDeps } from "../../domain/calls.js";
import type { IceServerSource } from "../../domain/ports/ice-servers.js";
import { CallParticipantsReply, IceServersReply } from "../../protocol/calls.js";
import { IdParams } from "../../protocol/common.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerCallRoutes(kit: RouteKit, deps: CallDeps & { iceServers: IceServerSource }) {
  defineRoute(
    kit,
    {
      method: "get",
      path: "/rooms/:id/call",
      summary: "Who is in the room's call now (members only); live changes come as the socket's call:updated",
      tag: "calls",
      params: IdParams,
      responses: { 200: { description: "Participants", schema: CallParticipantsReply } },
    },
    async ({ auth, params }) => ({ status: 200, body: { roomId: params.id, participants: await callParticipants(deps, auth.userId, params.id) } }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/calls/ice-servers",
      summary: "STUN/TURN servers for WebRTC calls; TURN credentials are the caller's own and expire after ttlSeconds",
      tag: "calls",
      responses: { 200: { description: "ICE servers", schema: IceServersReply } },
    },
    // Credentials are per request and short-lived: never cached by a browser or a proxy.
    async ({ auth }) => ({ status: 200, body: iceServersFor(deps, auth.userId), headers: { "Cache-Control": "no-store" } }),
  );
}
