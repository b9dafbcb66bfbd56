/**
 * Catching up with a room's timeline (PROTOCOL.md guarantee 3 and "Conversations"): new messages
 * by seq, and changes to older ones by the room's rev. One use case behind `sync`, `room:join`
 * and GET /api/rooms/:id/changes.
 */
import { Invalid } from "./errors.js";
import type { MessageDeps } from "./messages.js";
import type { ChangesPage } from "./ports/message-store.js";
import { withReplyExcerpts } from "./replies.js";
import { requireMember } from "./rooms.js";
import { PAGE_LIMIT_MAX, SYNC_ROOMS_MAX } from "../protocol/limits.js";
import type { CatchUp as WireCatchUp, SyncRooms } from "../protocol/messages.js";

/** Where a client is in a room: the last seq it has seen and, if it tracks changes, the last rev. */
export interface RoomPosition {
  /** Absent: no new messages are asked for (room:join without afterSeq). */
  afterSeq?: number;
  afterRev?: number;
}

/** New messages (seq > afterSeq); with afterRev, `updated`: older messages changed after it; `rev` to ask from next time. */
export type CatchUp = WireCatchUp;

/**
 * The room's changes are read before its new messages: whatever changes after that read has a
 * higher rev than the `rev` returned, so the next catch-up brings it (a message written between
 * the two reads can then come twice, once new and once changed; never missed). When `updated` is
 * cut at `limit`, the answer carries no new messages and `rev` is the last change returned: the
 * client pages through the changes first, then the new messages, and gets each once.
 */
export async function catchUp(deps: MessageDeps, userId: string, roomId: string, position: RoomPosition, limit: number): Promise<CatchUp> {
  const changes: ChangesPage =
    position.afterRev === undefined
      ? { messages: [], rev: (await deps.messages.heads([roomId])).get(roomId)?.rev ?? 0, hasMore: false }
      : await deps.messages.changes(roomId, { afterRev: position.afterRev, limit, maxSeq: position.afterSeq }, userId);
  const page =
    position.afterSeq === undefined || changes.hasMore
      ? { messages: [], hasMore: changes.hasMore }
      : await deps.messages.page(roomId, { after: position.afterSeq, limit }, userId);
  const [messages, updated] = await Promise.all([withReplyExcerpts(deps, roomId, page.messages), withReplyExcerpts(deps, roomId, changes.messages)]);
  const out: CatchUp = { messages, hasMore: page.hasMore, rev: changes.rev };
  if (position.afterRev !== undefined) out.updated = updated;
  return out;
}

/** GET /api/rooms/:id/changes: every message with rev > afterRev, new ones included, ascending by rev. */
export async function listChanges(deps: MessageDeps, userId: string, roomId: string, query: { afterRev: number; limit: number }): Promise<ChangesPage> {
  await requireMember(deps, roomId, userId);
  const page = await deps.messages.changes(roomId, { afterRev: query.afterRev, limit: Math.min(query.limit, PAGE_LIMIT_MAX) }, userId);
  return { ...page, messages: await withReplyExcerpts(deps, roomId, page.messages) };
}

/** Per room its catch-up; a room the caller is not in: an empty one with its error. */
export type SyncResult = SyncRooms;

/**
 * After a reconnect: for each room, what the client missed. A room is given by its last seen seq
 * (the first form of `sync`) or by its position ({ afterSeq, afterRev }).
 */
export async function syncRooms(deps: MessageDeps, userId: string, rooms: Record<string, number | RoomPosition>, limit = PAGE_LIMIT_MAX): Promise<SyncResult> {
  const entries = Object.entries(rooms);
  if (entries.length > SYNC_ROOMS_MAX) throw new Invalid(`at most ${SYNC_ROOMS_MAX} rooms per sync`, [{ path: "rooms", message: "too many" }]);
  const memberOf = new Set((await deps.rooms.roomsOf(userId)).map((r) => r.room.id));
  const out: SyncResult = {};
  await Promise.all(
    entries.map(async ([roomId, at]) => {
      if (!memberOf.has(roomId)) {
        out[roomId] = { messages: [], hasMore: false, rev: 0, error: { code: "NOT_FOUND", message: "no such room" } };
        return;
      }
      out[roomId] = await catchUp(deps, userId, roomId, typeof at === "number" ? { afterSeq: at } : at, limit);
    }),
  );
  return out;
}
