import type { Presence, PresenceStatus } from "../domain/ports/presence.js";
import type { PresenceChange, PresenceTracker } from "../domain/ports/presence-tracker.js";

type SocketState = "online" | "away";

function statusOf(sockets: Map<string, SocketState> | undefined): PresenceStatus {
  if (!sockets?.size) return "offline";
  for (const state of sockets.values()) if (state !== "away") return "online";
  return "away";
}

/**
 * Presence of a single node, in process (embedded default, no Redis). Nothing expires: a crash
 * takes the sockets and this table down together. Same semantics as RedisPresenceTracker,
 * including lastSeenAt (see PresenceChange).
 */
export class MemoryPresenceTracker implements PresenceTracker {
  private readonly sockets = new Map<string, Map<string, SocketState>>();
  /** Epoch ms: the time the user came online while connected, their last disconnect once offline. */
  private readonly seen = new Map<string, number>();
  private stopped = false;

  constructor(private readonly now: () => number = Date.now) {}

  async connected(userId: string, socketId: string): Promise<PresenceChange | null> {
    if (this.stopped) return null;
    let sockets = this.sockets.get(userId);
    const before = statusOf(sockets);
    if (!sockets) this.sockets.set(userId, (sockets = new Map()));
    sockets.set(socketId, "online");
    if (before === "offline") this.seen.set(userId, this.now());
    return this.change(userId, before);
  }

  async disconnected(userId: string, socketId: string): Promise<PresenceChange | null> {
    if (this.stopped) return null;
    const sockets = this.sockets.get(userId);
    const before = statusOf(sockets);
    if (!sockets?.delete(socketId)) return null;
    if (!sockets.size) {
      this.sockets.delete(userId);
      this.seen.set(userId, this.now());
    }
    return this.change(userId, before);
  }

  async setAway(userId: string, socketId: string, away: boolean): Promise<{ status: PresenceStatus; change: PresenceChange | null }> {
    const sockets = this.sockets.get(userId);
    const before = statusOf(sockets);
    if (!this.stopped && sockets?.has(socketId)) sockets.set(socketId, away ? "away" : "online");
    return { status: statusOf(sockets), change: this.change(userId, before) };
  }

  async statusOf(userIds: string[]): Promise<Map<string, Presence>> {
    return new Map(userIds.map((id) => [id, this.presence(id)]));
  }

  onChange(_listener: (change: PresenceChange) => void) {
    // Nothing changes by itself in one process.
  }

  async close() {
    this.stopped = true;
  }

  abandon() {
    this.stopped = true;
  }

  private presence(userId: string): Presence {
    const seen = this.seen.get(userId);
    return { status: statusOf(this.sockets.get(userId)), lastSeenAt: seen === undefined ? null : new Date(seen).toISOString() };
  }

  private change(userId: string, before: PresenceStatus): PresenceChange | null {
    const after = this.presence(userId);
    return after.status === before ? null : { userId, ...after };
  }
}
