import { z } from "zod";
import { searchMessages, type SearchDeps } from "../../domain/search.js";
import { SEARCH_QUERY_MAX } from "../../domain/search-text.js";
import { Id } from "../api-schemas.js";
import { defineRoute, type RouteKit } from "../route.js";
import { MessageSchema } from "./messages.js";

const SnippetSchema = z
  .object({
    text: z.string().meta({ description: "Plain-text excerpt around the first match; … marks a cut" }),
    highlights: z
      .array(z.object({ start: z.number().int(), end: z.number().int() }))
      .meta({ description: "Every match inside `text`, as UTF-16 offsets (String.prototype.slice(start, end))" }),
  })
  .meta({ id: "SearchSnippet" });

const SearchResultSchema = z
  .object({ message: MessageSchema, room: z.object({ id: z.string(), name: z.string() }), snippet: SnippetSchema })
  .meta({ id: "SearchResult" });

export function registerSearchRoutes(kit: RouteKit, deps: SearchDeps) {
  defineRoute(
    kit,
    {
      method: "get",
      path: "/search/messages",
      summary: "Messages of the caller's rooms containing `q` (case-insensitive substring, any script), newest first",
      tag: "search",
      query: z.object({
        q: z
          .string({ error: "is required" })
          .trim()
          .min(1, { error: "must have at least 1 character" })
          .max(SEARCH_QUERY_MAX, { error: `must have at most ${SEARCH_QUERY_MAX} characters` }),
        roomId: Id.optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: z.string().min(1).max(200).optional(),
      }),
      responses: { 200: { description: "A page of results", schema: z.object({ results: z.array(SearchResultSchema), nextCursor: z.string().nullable() }) } },
    },
    async ({ auth, query }) => ({ status: 200, body: await searchMessages(deps, auth.userId, query) }),
  );
}
