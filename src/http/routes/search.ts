import { searchMessages, type SearchDeps } from "../../domain/search.js";
import { SearchQuery, SearchReply } from "../../protocol/search.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerSearchRoutes(kit: RouteKit, deps: SearchDeps) {
  defineRoute(
    kit,
    {
      method: "get",
      path: "/search/messages",
      summary: "Messages of the caller's rooms containing `q` (case-insensitive substring, any script), newest first",
      tag: "search",
      query: SearchQuery,
      responses: { 200: { description: "A page of results", schema: SearchReply } },
    },
    async ({ auth, query }) => ({ status: 200, body: await searchMessages(deps, auth.userId, query) }),
  );
}
