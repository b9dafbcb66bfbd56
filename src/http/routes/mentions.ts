import { listMentions, type MentionDeps } from "../../domain/mentions.js";
import { MentionsPage, MentionsQuery } from "../../protocol/mentions.js";
import { defineRoute, type RouteKit } from "../route.js";

/** GET /api/mentions: messages mentioning the caller, newest first. */
export function registerMentionRoutes(kit: RouteKit, deps: MentionDeps) {
  defineRoute(
    kit,
    {
      method: "get",
      path: "/mentions",
      summary: "Messages mentioning the caller (by id or the whole room), newest first; nextCursor null at the end",
      tag: "mentions",
      query: MentionsQuery,
      responses: { 200: { description: "Mentions", schema: MentionsPage } },
    },
    async ({ auth, query }) => ({ status: 200, body: await listMentions(deps, auth.userId, query) }),
  );
}
