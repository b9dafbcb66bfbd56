/** Live fan-out to connected sockets, on every node. Fire-and-forget: durability lives in the stores. */
export interface RoomBroadcasts {
  "message:new": unknown;
  "message:updated": unknown;
  "receipt:updated": { roomId: string; userId: string; lastReadSeq: number };
  typing: { roomId: string; userId: string; isTyping: boolean };
  "player:updated": unknown;
  "call:updated": unknown;
}

export interface UserBroadcasts {
  event: unknown;
  "presence:updated": { userId: string; status: string; lastSeenAt: string | null };
  "call:signal": unknown;
}

export interface Broadcaster {
  /** Every socket joined to the room (room:join), except the sockets of `exceptUserId`. */
  toRoom<E extends keyof RoomBroadcasts>(roomId: string, event: E, payload: RoomBroadcasts[E], opts?: { exceptUserId?: string }): void;
  /** Takes every socket of the user out of the room's broadcasts (after leaving or removal). */
  detachUser(userId: string, roomId: string): void;
  /** Every socket of each user. */
  toUsers<E extends keyof UserBroadcasts>(userIds: string[], event: E, payload: UserBroadcasts[E]): void;
}
