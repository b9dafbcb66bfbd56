import type { Message } from "./message.js";
import type { MessageStore } from "./ports/message-store.js";
import type { MembershipRecord, RoomRecord, RoomRepository } from "./ports/room-repository.js";
import type { UserRepository } from "./ports/user-repository.js";

/** A room as one member sees it (PROTOCOL.md): the name of a direct room is the other member's. */
export interface RoomView {
  id: string;
  type: "direct" | "group";
  name: string;
  memberCount: number;
  lastMessage: Message | null;
  lastSeq: number;
  unreadCount: number;
  lastReadSeq: number;
  createdAt: string;
}

export interface RoomViewDeps {
  rooms: RoomRepository;
  users: UserRepository;
  messages: MessageStore;
}

/**
 * Renders many rooms for one viewer in a constant number of queries (heads, member counts,
 * direct peers, their names), whatever the number of rooms.
 */
export async function renderRooms(deps: RoomViewDeps, viewerId: string, entries: { room: RoomRecord; membership: MembershipRecord }[]): Promise<RoomView[]> {
  const ids = entries.map((e) => e.room.id);
  const directIds = entries.filter((e) => e.room.type === "direct").map((e) => e.room.id);
  const [heads, counts, peers] = await Promise.all([
    deps.messages.heads(ids),
    deps.rooms.memberCounts(ids),
    deps.rooms.directPeers(directIds, viewerId),
  ]);
  const peerUsers = new Map((await deps.users.findManyByIds([...new Set(peers.values())])).map((u) => [u.id, u]));
  return entries.map(({ room, membership }) => {
    const head = heads.get(room.id) ?? { lastSeq: 0, lastMessage: null };
    const peer = peers.get(room.id);
    const name = room.type === "direct" ? (peer ? (peerUsers.get(peer)?.displayName ?? "Unknown") : "Only you") : (room.name ?? "");
    return {
      id: room.id,
      type: room.type,
      name,
      memberCount: counts.get(room.id) ?? 0,
      lastMessage: head.lastMessage,
      lastSeq: head.lastSeq,
      unreadCount: Math.max(0, head.lastSeq - membership.lastReadSeq),
      lastReadSeq: membership.lastReadSeq,
      createdAt: room.createdAt.toISOString(),
    };
  });
}

/** Most recent activity first: the last message's time, or the room's creation for empty rooms. */
export function byActivity(a: RoomView, b: RoomView): number {
  const at = (r: RoomView) => r.lastMessage?.createdAt ?? r.createdAt;
  return at(b).localeCompare(at(a));
}

export async function renderRoomFor(deps: RoomViewDeps, viewerId: string, roomId: string): Promise<RoomView | null> {
  const [room, membership] = await Promise.all([deps.rooms.find(roomId), deps.rooms.membership(roomId, viewerId)]);
  if (!room || !membership) return null;
  return (await renderRooms(deps, viewerId, [{ room, membership }]))[0] ?? null;
}
