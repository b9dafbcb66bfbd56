import type { MessageDeps } from "../../domain/messages.js";
import { listPins, pin } from "../../domain/pins.js";
import { IdParams } from "../../protocol/common.js";
import { MessageParams, MessageReply } from "../../protocol/messages.js";
import { PinsReply } from "../../protocol/pins.js";
import { defineRoute, type RouteKit } from "../route.js";

/** PUT / DELETE /api/rooms/:id/pins/:seq and GET /api/rooms/:id/pins. */
export function registerPinRoutes(kit: RouteKit, deps: MessageDeps) {
  const tag = "pins";
  for (const [method, pinned] of [["put", true], ["delete", false]] as const) {
    defineRoute(
      kit,
      {
        method,
        path: "/rooms/:id/pins/:seq",
        summary: pinned ? "Pin a message (groups: owner and admins; direct rooms: either member)" : "Unpin a message",
        tag,
        params: MessageParams,
        responses: { 200: { description: "The message as it now is", schema: MessageReply } },
      },
      async ({ auth, params }) => ({ status: 200, body: { message: await pin(deps, auth.userId, { roomId: params.id, seq: params.seq }, pinned) } }),
    );
  }

  defineRoute(
    kit,
    { method: "get", path: "/rooms/:id/pins", summary: "The room's pinned messages, most recently pinned first", tag, params: IdParams, responses: { 200: { description: "Pins", schema: PinsReply } } },
    async ({ auth, params }) => ({ status: 200, body: { pins: await listPins(deps, auth.userId, params.id) } }),
  );
}
