/**
 * Who is online (PROTOCOL.md, `presence.status`: online, away or offline): a book kept from
 * `presence:updated` and from room:join's members (their `online` flag), and this device's own
 * away/online state (`presence:set`), said again after every reconnect since a new connection
 * starts online.
 */
import { Emitter } from "./emitter.js";
import type { JoinedMember, PresenceStatus, PresenceUpdated } from "./protocol.js";

export interface PresenceEntry {
  status: PresenceStatus;
  lastSeenAt: string | null;
}

export class PresenceBook extends Emitter<{ change: [userId: string, presence: PresenceEntry] }> {
  private readonly entries = new Map<string, PresenceEntry>();

  apply(p: PresenceUpdated): void {
    const known = this.entries.get(p.userId);
    if (known && known.status === p.status && known.lastSeenAt === p.lastSeenAt) return;
    const entry = { status: p.status, lastSeenAt: p.lastSeenAt };
    this.entries.set(p.userId, entry);
    this.emit("change", p.userId, entry);
  }

  /** room:join's members say only online or not: an online member known as away stays away. */
  applyMembers(members: readonly JoinedMember[]): void {
    for (const m of members) {
      const known = this.entries.get(m.userId);
      if (m.online && known && known.status !== "offline") continue;
      if (!m.online && known?.status === "offline") continue;
      this.apply({ userId: m.userId, status: m.online ? "online" : "offline", lastSeenAt: known?.lastSeenAt ?? null });
    }
  }

  get(userId: string): PresenceEntry | undefined {
    return this.entries.get(userId);
  }
}
