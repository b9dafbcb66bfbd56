import type { Presence, PresenceReader } from "../../src/domain/ports/presence.js";

/** PresenceReader (src/domain/ports/presence.ts) whose answers a test sets; unknown users are offline. */
export class MemoryPresenceReader implements PresenceReader {
  private readonly statuses = new Map<string, Presence>();

  async statusOf(userIds: string[]): Promise<Map<string, Presence>> {
    // Every id gets an entry (the port's promise); unknown users are offline, never seen.
    return new Map(userIds.map((id) => [id, { ...(this.statuses.get(id) ?? { status: "offline", lastSeenAt: null }) }]));
  }

  set(userId: string, presence: Presence): void {
    this.statuses.set(userId, presence);
  }
}
