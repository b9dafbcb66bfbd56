import type { PresenceReader, PresenceStatus } from "./presence.js";

/**
 * A user's presence after a transition (offline↔online, online↔away, away→offline).
 *
 * `lastSeenAt` (ISO time): while the user is online or away, the moment they came online (the
 * connect that ended their offline period); once offline, the moment they were last connected
 * (their last disconnect, or for a crashed node the last heartbeat that covered them). Null only
 * for a user never seen.
 */
export interface PresenceChange {
  userId: string;
  status: PresenceStatus;
  lastSeenAt: string | null;
}

/**
 * Counts each user's connected sockets (on every node) and derives their status: offline with no
 * socket, away when every socket says away, online otherwise. Each call computes its transition
 * atomically, so two devices connecting at once yield one change to online and the last of two
 * disconnecting yields one change to offline, whichever nodes they are on.
 *
 * Calls about one socket take effect in the order they are made (connected, setAway…,
 * disconnected), even when the caller does not await each before making the next.
 */
export interface PresenceTracker extends PresenceReader {
  /** The socket is connected (state online). Returns the user's change, or null if their status did not change. */
  connected(userId: string, socketId: string): Promise<PresenceChange | null>;
  /** The socket is gone. Returns the user's change, or null. */
  disconnected(userId: string, socketId: string): Promise<PresenceChange | null>;
  /** The socket says away (true) or online (false); unknown sockets are ignored. */
  setAway(userId: string, socketId: string, away: boolean): Promise<{ status: PresenceStatus; change: PresenceChange | null }>;
  /**
   * Changes that no call above returned: sockets of a crashed node expiring, or this node's own
   * sockets registered again after the shared store lost them. Exactly one node reports each.
   */
  onChange(listener: (change: PresenceChange) => void): void;
  /** Graceful stop: ends timers and connections. Call after the node's sockets were disconnected. */
  close(): Promise<void>;
  /** Crash (tests): stops at once without removing this node's sockets, which then expire elsewhere. */
  abandon(): void;
}
