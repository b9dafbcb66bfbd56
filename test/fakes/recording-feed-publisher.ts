import type { FeedEventDraft, FeedPublisher } from "../../src/domain/ports/feed.js";

/**
 * FeedPublisher (src/domain/ports/feed.ts) that records what the use cases publish. The real one
 * (src/domain/feed.ts EventsFeed) appends to a log and coalesces room.updated over a
 * 250 ms window; what a use case owes the port is the calls, which is what this keeps.
 */
export class RecordingFeedPublisher implements FeedPublisher {
  readonly published: { userId: string; event: FeedEventDraft }[] = [];
  readonly roomChanges: { roomId: string; userIds: string[] }[] = [];

  async publish(userId: string, event: FeedEventDraft): Promise<void> {
    this.published.push({ userId, event: structuredClone(event) });
  }

  async roomChanged(roomId: string, userIds: string[]): Promise<void> {
    this.roomChanges.push({ roomId, userIds: [...userIds] });
  }

  /** The events published to one user, in order. */
  eventsOf(userId: string): FeedEventDraft[] {
    return this.published.filter((p) => p.userId === userId).map((p) => p.event);
  }

  /** One user's events of one type, in order, typed as the contract has that type. */
  eventsOfType<T extends FeedEventDraft["type"]>(userId: string, type: T): Extract<FeedEventDraft, { type: T }>[] {
    return this.eventsOf(userId).filter((e): e is Extract<FeedEventDraft, { type: T }> => e.type === type);
  }

  /** The types of the events published to one user, in order. */
  typesFor(userId: string): string[] {
    return this.eventsOf(userId).map((e) => e.type);
  }

  /** Users told that the room changed, over all calls (sorted, each once). */
  usersToldOf(roomId: string): string[] {
    return [...new Set(this.roomChanges.filter((c) => c.roomId === roomId).flatMap((c) => c.userIds))].sort();
  }

  clear(): void {
    this.published.length = 0;
    this.roomChanges.length = 0;
  }
}
