import { react } from "../../domain/reactions.js";
import type { MessageDeps } from "../../domain/messages.js";
import { MessageReply } from "../../protocol/messages.js";
import { ReactionParams } from "../../protocol/reactions.js";
import { defineRoute, type RouteKit } from "../route.js";

/** PUT / DELETE /api/rooms/:id/messages/:seq/reactions/:emoji: the caller's own reaction, idempotent. */
export function registerReactionRoutes(kit: RouteKit, deps: MessageDeps) {
  const tag = "reactions";
  for (const [method, add] of [["put", true], ["delete", false]] as const) {
    defineRoute(
      kit,
      {
        method,
        path: "/rooms/:id/messages/:seq/reactions/:emoji",
        summary: add ? "React to a message (adding the same reaction again changes nothing)" : "Take one's reaction back",
        tag,
        params: ReactionParams,
        responses: { 200: { description: "The message as it now is", schema: MessageReply } },
      },
      async ({ auth, params }) => ({ status: 200, body: { message: await react(deps, auth.userId, { roomId: params.id, seq: params.seq, emoji: params.emoji }, add) } }),
    );
  }
}
