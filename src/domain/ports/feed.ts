import type { FeedEventType } from "../../protocol/feed.js";

/** The protocol's event types (src/protocol/feed.ts). */
export type { FeedEventType };

export interface FeedEventDraft {
  type: Exclude<FeedEventType, "room.updated">;
  data: Record<string, unknown>;
}

/** Appends events to users' feeds (GET /api/events and the socket `event`). */
export interface FeedPublisher {
  publish(userId: string, event: FeedEventDraft): Promise<void>;
  /**
   * The room changed for these members (new message, read cursor, membership). The feed
   * coalesces: each member gets one `room.updated` carrying the room's state when delivered.
   */
  roomChanged(roomId: string, userIds: string[]): Promise<void>;
}
