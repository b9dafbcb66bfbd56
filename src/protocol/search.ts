/** Message search (PROTOCOL.md, "Calls, push, search"; docs/search.md): only rooms the caller is in. */
import { z } from "zod";
import { Id, PageLimit } from "./common.js";
import { SEARCH_QUERY_MAX } from "./limits.js";
import { MessageSchema } from "./messages.js";

export const SearchQuery = z.object({
  q: z
    .string({ error: "is required" })
    .trim()
    .min(1, { error: "must have at least 1 character" })
    .max(SEARCH_QUERY_MAX, { error: `must have at most ${SEARCH_QUERY_MAX} characters` }),
  roomId: Id.optional(),
  limit: PageLimit,
  cursor: z.string().min(1).max(200).optional(),
});

export const SnippetSchema = z
  .object({
    text: z.string().meta({ description: "Plain-text excerpt around the first match; … marks a cut" }),
    highlights: z
      .array(z.object({ start: z.number().int(), end: z.number().int() }))
      .meta({ description: "Every match inside `text`, as UTF-16 offsets (String.prototype.slice(start, end))" }),
  })
  .meta({ id: "SearchSnippet" });

export const SearchResultSchema = z
  .object({ message: MessageSchema, room: z.object({ id: z.string(), name: z.string() }), snippet: SnippetSchema })
  .meta({ id: "SearchResult" });

export const SearchReply = z.object({ results: z.array(SearchResultSchema), nextCursor: z.string().nullable() });

export type SearchSnippet = z.output<typeof SnippetSchema>;
export type SearchResult = z.output<typeof SearchResultSchema>;
export type SearchPage = z.output<typeof SearchReply>;
