import { z } from "zod";
import { callParticipants, iceServersFor, type CallDeps } from "../../domain/calls.js";
import type { IceServerSource } from "../../domain/ports/ice-servers.js";
import { IdParams } from "../api-schemas.js";
import { defineRoute, type RouteKit } from "../route.js";

const IceServerSchema = z
  .object({ urls: z.union([z.string(), z.array(z.string())]), username: z.string().optional(), credential: z.string().optional() })
  .meta({ id: "IceServer" });

export function registerCallRoutes(kit: RouteKit, deps: CallDeps & { iceServers: IceServerSource }) {
  defineRoute(
    kit,
    {
      method: "get",
      path: "/rooms/:id/call",
      summary: "Who is in the room's call now (members only); live changes come as the socket's call:updated",
      tag: "calls",
      params: IdParams,
      responses: { 200: { description: "Participants", schema: z.object({ roomId: z.string(), participants: z.array(z.string()) }) } },
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
      responses: { 200: { description: "ICE servers", schema: z.object({ iceServers: z.array(IceServerSchema), ttlSeconds: z.number().int() }) } },
    },
    // Credentials are per request and short-lived: never cached by a browser or a proxy.
    async ({ auth }) => ({ status: 200, body: iceServersFor(deps, auth.userId), headers: { "Cache-Control": "no-store" } }),
  );
}
