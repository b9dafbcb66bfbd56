import { Invalid } from "./errors.js";
import { PAGE_LIMIT_MAX } from "./messages.js";
import { positionOf, type MessageSearchIndex, type SearchPosition } from "./ports/message-search.js";
import type { RoomRecord, RoomRepository } from "./ports/room-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import { requireMember } from "./rooms.js";
import { SEARCH_QUERY_MAX, snippetOf } from "./search-text.js";
import type { SearchPage, SearchResult as WireSearchResult } from "../protocol/search.js";

export interface SearchDeps {
  rooms: RoomRepository;
  users: UserRepository;
  search: MessageSearchIndex;
}

/** The contract's hit (src/protocol/search.ts): the room as the caller sees it (a direct room carries the other member's name). */
export type SearchResult = WireSearchResult;

export interface SearchInput {
  q: string;
  roomId?: string;
  limit: number;
  cursor?: string;
}

const CURSOR_MAX = 200;
// Neither store can hold or compare these (PostgreSQL refuses NUL in text; a lone surrogate is not Unicode).
const UNSEARCHABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Opaque to clients: the last result's position. */
export function encodeSearchCursor(p: SearchPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt, p.roomId, p.seq])).toString("base64url");
}

export function decodeSearchCursor(cursor: string): SearchPosition {
  let parsed: unknown;
  try {
    parsed = cursor.length <= CURSOR_MAX ? JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) : null;
  } catch {
    parsed = null;
  }
  const [createdAt, roomId, seq] = Array.isArray(parsed) && parsed.length === 3 ? parsed : [];
  const valid =
    typeof createdAt === "string" && ISO_UTC.test(createdAt) && !Number.isNaN(Date.parse(createdAt)) &&
    typeof roomId === "string" && roomId.length > 0 && roomId.length <= 64 && !UNSEARCHABLE.test(roomId) &&
    Number.isInteger(seq) && seq >= 1 && seq <= 2_147_483_647;
  if (!valid) throw new Invalid("cursor cannot be parsed", [{ path: "cursor", message: "is not a cursor from this API" }]);
  return { createdAt, roomId, seq };
}

/**
 * Names as the caller sees them, by the rule of room-views.ts (a direct room is named after the
 * other member), without the rest of a room view: one query, and only for direct rooms.
 */
async function roomNames(deps: SearchDeps, viewerId: string, rooms: RoomRecord[]): Promise<Map<string, string>> {
  const direct = rooms.filter((r) => r.type === "direct").map((r) => r.id);
  const members = direct.length ? await deps.rooms.directMembers(direct) : new Map<string, string[]>();
  const peers = new Map([...members].map(([roomId, ids]) => [roomId, ids.find((id) => id !== viewerId)]));
  const wanted = [...new Set([...peers.values()].filter((id): id is string => id !== undefined))];
  const users = new Map((wanted.length ? await deps.users.findManyByIds(wanted) : []).map((u) => [u.id, u.displayName]));
  return new Map(
    rooms.map((r) => {
      if (r.type !== "direct") return [r.id, r.name ?? ""];
      const peer = peers.get(r.id);
      return [r.id, peer ? (users.get(peer) ?? "Unknown") : "Only you"];
    }),
  );
}

/** The query as searched: surrounding spaces dropped, 1–200 characters left. */
function checkQuery(q: string): string {
  const text = q.trim();
  if (text.length === 0) throw new Invalid("q is empty", [{ path: "q", message: "must have at least 1 character" }]);
  if (text.length > SEARCH_QUERY_MAX) throw new Invalid(`q is over ${SEARCH_QUERY_MAX} characters`, [{ path: "q", message: `must have at most ${SEARCH_QUERY_MAX} characters` }]);
  if (UNSEARCHABLE.test(text)) throw new Invalid("q contains a NUL character or broken Unicode", [{ path: "q", message: "has characters no message can contain" }]);
  return text;
}

/**
 * Messages of the caller's rooms whose text contains `q` (any case, any script), newest first.
 * Access comes first: the rooms searched are the caller's memberships, read now (a room left is
 * no longer searched); a `roomId` the caller is not in is refused like every room use case.
 */
export async function searchMessages(deps: SearchDeps, userId: string, input: SearchInput): Promise<SearchPage> {
  const text = checkQuery(input.q);
  const mine = await deps.rooms.roomsOf(userId);
  let entries = mine;
  if (input.roomId !== undefined) {
    entries = mine.filter((e) => e.room.id === input.roomId);
    if (entries.length === 0) await requireMember(deps, input.roomId, userId); // a room the caller is not in: 404, as for none
  }
  const after = input.cursor === undefined ? undefined : decodeSearchCursor(input.cursor);
  const limit = Math.max(1, Math.min(input.limit, PAGE_LIMIT_MAX));
  if (entries.length === 0) return { results: [], nextCursor: null };

  const page = await deps.search.search({ roomIds: entries.map((e) => e.room.id), text, limit, after });
  // Defence in depth: whatever the adapter returns, nothing outside the caller's rooms leaves here.
  const allowed = new Map(entries.map((e) => [e.room.id, e]));
  const hits = page.hits.filter((m) => allowed.has(m.roomId) && !m.deletedAt).slice(0, limit);
  const names = await roomNames(deps, userId, [...new Set(hits.map((m) => m.roomId))].map((id) => allowed.get(id)!.room));
  const results = hits.map((message) => ({
    message,
    room: { id: message.roomId, name: names.get(message.roomId) ?? "" },
    snippet: snippetOf(message.text, text),
  }));
  const last = page.hits.at(-1);
  return { results, nextCursor: page.hasMore && last ? encodeSearchCursor(positionOf(last)) : null };
}
