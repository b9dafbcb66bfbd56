export type PresenceStatus = "online" | "away" | "offline";

export interface Presence {
  status: PresenceStatus;
  lastSeenAt: string | null;
}

export interface PresenceReader {
  /** Every id gets an entry; unknown users are offline. */
  statusOf(userIds: string[]): Promise<Map<string, Presence>>;
}
