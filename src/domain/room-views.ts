import { mentionCountKey, type MentionIndex } from "./ports/mention-index.js";
import type { BlockRepository } from "./ports/block-repository.js";
import type { MessageStore } from "./ports/message-store.js";
import type { MembershipRecord, RoomRecord, RoomRepository } from "./ports/room-repository.js";
import type { UserRepository } from "./ports/user-repository.js";
import type { Room } from "../protocol/rooms.js";

/**
 * A room as one member sees it (PROTOCOL.md; the contract's Room, src/protocol/rooms.ts): the name
 * of a direct room is the other member's, `role` tells the viewer what they may do without asking.
 */
export type RoomView = Room;

export interface RoomViewDeps {
  rooms: RoomRepository;
  users: UserRepository;
  messages: MessageStore;
  mentions: MentionIndex;
  blocks: Pick<BlockRepository, "blockedBy">;
}

// How far past a viewer's read cursor the messages of people they blocked are looked for (they do
// not count as unread): one page read, only for viewers who block someone and only where something
// is unread. Beyond it the count keeps them (a room with more unread than this is "100+" anyway).
const BLOCKED_UNREAD_SCAN = 100;

interface Entry {
  room: RoomRecord;
  membership: MembershipRecord;
}

/**
 * Renders rooms for any number of viewers in a constant number of queries (heads, member counts,
 * direct rooms' members, their names), whatever the number of rooms or viewers. The feed renders
 * a whole batch of room.updated events with one call.
 */
export async function renderEntries(deps: RoomViewDeps, entries: Entry[]): Promise<RoomView[]> {
  const ids = [...new Set(entries.map((e) => e.room.id))];
  const directIds = [...new Set(entries.filter((e) => e.room.type === "direct").map((e) => e.room.id))];
  const [heads, counts, directMembers] = await Promise.all([deps.messages.heads(ids), deps.rooms.memberCounts(ids), deps.rooms.directMembers(directIds)]);
  const peerIds = [...new Set([...directMembers.values()].flat())];
  // Mentions are counted only where something is unread: a caught-up room list asks nothing.
  const unread = entries.filter((e) => (heads.get(e.room.id)?.lastSeq ?? 0) > e.membership.lastReadSeq);
  const [users, mentionCounts, fromBlocked] = await Promise.all([
    deps.users.findManyByIds(peerIds),
    deps.mentions.unreadCounts(unread.map((e) => ({ userId: e.membership.userId, roomId: e.room.id, afterSeq: e.membership.lastReadSeq }))),
    unreadFromBlocked(deps, unread),
  ]);
  const names = new Map(users.map((u) => [u.id, u.displayName]));
  return entries.map(({ room, membership }) => {
    const head = heads.get(room.id) ?? { lastSeq: 0, rev: 0, lastMessage: null };
    const peer = directMembers.get(room.id)?.find((id) => id !== membership.userId);
    const name = room.type === "direct" ? (peer ? (names.get(peer) ?? "Unknown") : "Only you") : (room.name ?? "");
    return {
      id: room.id,
      type: room.type,
      name,
      topic: room.topic ?? null,
      memberCount: counts.get(room.id) ?? 0,
      lastMessage: head.lastMessage,
      lastSeq: head.lastSeq,
      unreadCount: Math.max(0, head.lastSeq - membership.lastReadSeq - (fromBlocked.get(mentionCountKey(membership.userId, room.id)) ?? 0)),
      mentionCount: mentionCounts.get(mentionCountKey(membership.userId, room.id)) ?? 0,
      lastReadSeq: membership.lastReadSeq,
      role: membership.role,
      createdAt: room.createdAt.toISOString(),
    };
  });
}

/** Per (viewer, room): unread messages whose sender the viewer blocked (PROTOCOL: no unread count from them). */
async function unreadFromBlocked(deps: RoomViewDeps, unread: Entry[]): Promise<Map<string, number>> {
  const viewers = [...new Set(unread.map((e) => e.membership.userId))];
  const blocked = new Map(await Promise.all(viewers.map(async (v) => [v, await deps.blocks.blockedBy(v)] as const)));
  const out = new Map<string, number>();
  await Promise.all(
    unread.map(async ({ room, membership }) => {
      const theirs = blocked.get(membership.userId);
      if (!theirs?.size) return;
      const page = await deps.messages.page(room.id, { after: membership.lastReadSeq, limit: BLOCKED_UNREAD_SCAN });
      const n = page.messages.filter((m) => theirs.has(m.senderId)).length;
      if (n) out.set(mentionCountKey(membership.userId, room.id), n);
    }),
  );
  return out;
}

/** Views for (viewer, room) pairs; pairs whose viewer is no longer a member are left out. */
export async function renderPairs(deps: RoomViewDeps, pairs: { userId: string; roomId: string }[]): Promise<{ userId: string; view: RoomView }[]> {
  const memberships = await deps.rooms.membershipsFor(pairs);
  const rooms = new Map((await deps.rooms.findMany([...new Set(memberships.map((m) => m.roomId))])).map((r) => [r.id, r]));
  const entries = memberships.flatMap((membership) => {
    const room = rooms.get(membership.roomId);
    return room ? [{ room, membership }] : [];
  });
  const views = await renderEntries(deps, entries);
  return views.map((view, i) => ({ userId: entries[i]!.membership.userId, view }));
}

/** Most recent activity first: the last message's time, or the room's creation for empty rooms. */
export function byActivity(a: RoomView, b: RoomView): number {
  const at = (r: RoomView) => r.lastMessage?.createdAt ?? r.createdAt;
  return at(b).localeCompare(at(a));
}

export async function renderRoomFor(deps: RoomViewDeps, viewerId: string, roomId: string): Promise<RoomView | null> {
  return (await renderPairs(deps, [{ userId: viewerId, roomId }]))[0]?.view ?? null;
}
