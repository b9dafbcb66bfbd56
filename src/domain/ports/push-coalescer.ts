/** What a coalesced push says: how many messages, and the newest one. */
export interface PendingPush {
  count: number;
  last: { seq: number; senderId: string; type: string; text: string };
}

/**
 * Collects the messages one user missed in one room during a short window, across nodes. The
 * caller whose add opened the window later takes the total and sends one push.
 */
export interface PushCoalescer {
  /** Adds to the pending push of (user, room); true when this call opened its window. */
  add(userId: string, roomId: string, pending: PendingPush): Promise<boolean>;
  /** Takes (and clears) the pending push of (user, room). */
  take(userId: string, roomId: string): Promise<PendingPush | null>;
}
