import type { FeedEvent, FeedEventType } from "../../protocol/feed.js";

/** The protocol's event types (src/protocol/feed.ts). */
export type { FeedEventType };

type DraftOf<E> = E extends { type: infer T; data: infer D } ? (T extends "room.updated" ? never : { type: T; data: D }) : never;

/**
 * An event to publish: each type with the contract's own `data` for it (src/protocol/feed.ts), so
 * a publisher that sends a field the contract does not have fails the type-check, not a test.
 * room.updated is not published: the feed renders it (roomChanged).
 */
export type FeedEventDraft = DraftOf<FeedEvent>;

/** Appends events to users' feeds (GET /api/events and the socket `event`). */
export interface FeedPublisher {
  publish(userId: string, event: FeedEventDraft): Promise<void>;
  /**
   * The room changed for these members (new message, read cursor, membership). The feed
   * coalesces: each member gets one `room.updated` carrying the room's state when delivered.
   */
  roomChanged(roomId: string, userIds: string[]): Promise<void>;
}
