export type FeedEventType =
  | "invite.created"
  | "invite.updated"
  | "room.updated"
  | "room.removed"
  | "friend.request"
  | "friend.updated";

export interface FeedEventDraft {
  type: FeedEventType;
  data: Record<string, unknown>;
}

/** Appends events to users' feeds (GET /api/events and the socket `event`). */
export interface FeedPublisher {
  publish(userId: string, event: FeedEventDraft): Promise<void>;
}
