/** One connection (socket) of a user in a room's call. */
export interface CallEntry {
  userId: string;
  connectionId: string;
  /** Epoch ms of the connection's join: participants are listed in order of arrival. */
  joinedAt: number;
}

/** A call's participants (user ids, by arrival) after a change. */
export interface CallChange {
  roomId: string;
  participants: string[];
}

export type CallJoin = { joined: true; participants: string[]; changed: boolean } | { joined: false; participants: string[] };

/**
 * Who is in each room's call, across nodes. A user is in the call while at least one of their
 * connections is. Entries of a node that stops heartbeating (a crash) expire, and the expiry is
 * reported through onChange by exactly one node.
 */
export interface CallRegistry {
  /**
   * Adds the connection to the room's call, atomically refused (`joined: false`) when the user
   * is not in it yet and it already holds `maxParticipants` users. `changed`: the user was not
   * in the call before (another connection of theirs may have been).
   */
  join(roomId: string, userId: string, connectionId: string, maxParticipants: number): Promise<CallJoin>;
  /** Removes the connection; the change when its user thereby left the call, else null. */
  leave(roomId: string, userId: string, connectionId: string): Promise<CallChange | null>;
  /** The connection closed: removes it from every call it was in (on this node) and returns the changes. */
  leaveAll(userId: string, connectionId: string): Promise<CallChange[]>;
  /** Every connection in the room's call. */
  entries(roomId: string): Promise<CallEntry[]>;
  /**
   * Removes every connection of the user from the room's call, on whichever node it is (they left
   * or were removed from the room). The resulting change comes through onChange, from the node
   * that held the connection.
   */
  evict(roomId: string, userId: string): Promise<void>;
  /** Changes no call above returned: connections of a crashed node expiring, evictions. */
  onChange(listener: (change: CallChange) => void): void;
  /** Graceful stop, after the node's sockets were disconnected. */
  close(): Promise<void>;
  /** Crash (tests): stops without removing this node's entries, which then expire elsewhere. */
  abandon(): void;
}

/** Participants (distinct users) ordered by their earliest connection's arrival. */
export function participantsOf(entries: CallEntry[]): string[] {
  const first = new Map<string, number>();
  for (const e of entries) first.set(e.userId, Math.min(first.get(e.userId) ?? Infinity, e.joinedAt));
  return [...first].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
}
