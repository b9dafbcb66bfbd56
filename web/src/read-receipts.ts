/**
 * Read receipts in an open room: every member's read cursor as this view knows it (the list's
 * "not read by N" counts; the same entries are the member list the header, mentions and
 * invites use), and moving our own cursor to the newest message while it is on screen.
 */
import type { ChatClient } from "@chat-backend/client";
import type { Store } from "./store.js";

interface Member {
  lastReadSeq: number;
}

export interface ReadingView {
  /** Whether the history is loaded and the view still open: before, nothing counts as read. */
  ready(): boolean;
  newestSeq(): number;
  senderOf(seq: number): string | undefined;
  /** Whether the newest message is really on screen. */
  onScreen(): boolean;
  /** Our cursor moved: the counts shown change. */
  marked(): void;
}

export class ReadReceipts {
  private readonly members = new Map<string, Member>();
  private marking = false;

  constructor(
    private readonly roomId: string,
    private readonly store: Store,
    private readonly client: ChatClient,
    private readonly view: ReadingView,
  ) {}

  /** The members known, in the order first seen. */
  ids(): string[] {
    return [...this.members.keys()];
  }

  /** The members' cursors, ascending. */
  cursors(): number[] {
    return [...this.members.values()].map((m) => m.lastReadSeq).sort((a, b) => a - b);
  }

  /** A member's cursor (receipts, and the sender of a message has read it); it only moves forward. */
  set(userId: string, lastReadSeq: number): void {
    const m = this.members.get(userId);
    if (!m) this.members.set(userId, { lastReadSeq });
    else m.lastReadSeq = Math.max(m.lastReadSeq, lastReadSeq);
  }

  has(userId: string): boolean {
    return this.members.has(userId);
  }

  /** Forgets the members not in `ids` (they left). */
  retain(ids: Set<string>): void {
    for (const id of [...this.members.keys()]) if (!ids.has(id)) this.members.delete(id);
  }

  /** Moves our read cursor to the newest message while it is on screen. */
  markRead(): void {
    const me = this.store.me.id;
    const mine = this.members.get(me)?.lastReadSeq ?? 0;
    const seq = this.view.newestSeq();
    if (this.marking || !this.view.ready() || seq <= mine) return;
    if (this.view.senderOf(seq) === me) {
      // Sending moved our cursor on the server already (its receipt:updated is on the way).
      this.set(me, seq);
      return;
    }
    if (!this.view.onScreen()) return;
    this.marking = true;
    const done = (lastReadSeq: number) => {
      this.set(me, lastReadSeq);
      const room = this.store.rooms.get(this.roomId);
      if (room && (room.unreadCount > 0 || room.mentionCount > 0) && lastReadSeq >= room.lastSeq) this.store.upsertRoom({ ...room, unreadCount: 0, mentionCount: 0, lastReadSeq });
      this.view.marked();
    };
    const { connection, rest } = this.client;
    const send = connection.connected
      ? connection.call("receipt:read", { roomId: this.roomId, seq }).then((r) => r.lastReadSeq)
      : rest.markRead(this.roomId, seq).then((r) => r.lastReadSeq);
    void send
      .then(done, () => {})
      .finally(() => {
        this.marking = false;
        const newest = this.view.newestSeq();
        if (newest > (this.members.get(me)?.lastReadSeq ?? 0) && newest > seq) this.markRead();
      });
  }
}
