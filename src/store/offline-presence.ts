import type { Presence, PresenceReader } from "../domain/ports/presence.js";

/**
 * Stand-in until presence tracking lands (issue 5): everyone reads as offline, which is the
 * truthful answer for a node that does not yet track connections.
 */
export class OfflinePresence implements PresenceReader {
  async statusOf(userIds: string[]): Promise<Map<string, Presence>> {
    return new Map(userIds.map((id) => [id, { status: "offline", lastSeenAt: null }]));
  }
}
