import type { FeedEventType } from "./feed.js";

export interface StoredFeedEvent {
  seq: number;
  type: FeedEventType;
  /** Set on room.updated, whose view is rendered when delivered. */
  roomId: string | null;
  data: Record<string, unknown> | null;
  at: Date;
}

/** The durable per-user event log behind GET /api/events. Per user, seq order is commit order. */
export interface FeedLog {
  append(userId: string, type: FeedEventType, data: Record<string, unknown>): Promise<StoredFeedEvent>;
  /** One room.updated row per (user, room), all in one transaction. */
  appendRoomUpdates(pairs: { userId: string; roomId: string }[]): Promise<{ userId: string; event: StoredFeedEvent }[]>;
  /** Events after `afterSeq`, ascending, at most `limit`, with the user's head. */
  read(userId: string, afterSeq: number, limit: number): Promise<{ events: StoredFeedEvent[]; lastSeq: number; trimmedThrough: number }>;
  /** The user's newest seq (0 before any event). */
  lastSeq(userId: string): Promise<number>;
  /** Deletes events older than `before`; returns how many. */
  trim(before: Date): Promise<number>;
}

/** Wakes held polls on whichever node holds them (Redis pub/sub across nodes, in process otherwise). */
export interface FeedWaker {
  wake(userIds: string[]): void;
  /** Returns the unsubscribe function. */
  subscribe(userId: string, listener: () => void): () => void;
  close(): Promise<void>;
}
