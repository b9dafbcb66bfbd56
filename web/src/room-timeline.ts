/**
 * The messages of one open room as this client holds them, and how far they are known: every
 * seq from the oldest held up to a contiguous one, and every change up to a room timeline
 * revision (`rev`). It reads what is missing (older pages as the reader scrolls up or jumps to a
 * quote, the messages after a gap, the changes after a rev when a resync was cut at its limit)
 * and leaves showing them to the chat, through `TimelineView`.
 */
import { api } from "./api.js";
import type { Store } from "./store.js";
import { excerptOf, merge } from "./timeline.js";
import type { Message } from "./types.js";

const PAGE = 50;
/** Pages of older history a jump to a quoted message may load before giving up. */
const JUMP_PAGES_MAX = 40;
/** Pages of GET …/changes one resync reads at most (the next reconnect goes on from there). */
const CHANGES_PAGES_MAX = 50;

export interface TimelineView {
  /** Messages a fill read (after a gap, or changed after a rev): shown as live ones are. */
  arrived(messages: Message[]): void;
  /** A read of older history started or ended. */
  busy(busy: boolean): void;
  render(): void;
  /** Measures the log before older messages go in above; the function returned keeps the reader's place. */
  keepPlace(): () => void;
  /** The first page is shown: to its newest message. */
  toNewest(): void;
  /** The newest message may be on screen now: our read cursor may move. */
  markRead(): void;
  /** Whether the messages shown leave the log unfilled: no scroll event would ever ask for more. */
  unfilled(): boolean;
  problem(err: unknown): void;
}

export class RoomTimeline {
  private readonly messages = new Map<number, Message>();
  private oldestSeq = 0;
  private newest = 0;
  /** Every seq from the oldest held up to this one is held (seqs have no gaps: 1, 2, 3 …). */
  private contiguousSeq = 0;
  private hasMoreBefore = true;
  private loaded = false;
  private readingOlder = false;
  private older: Promise<void> | null = null;
  private filling: Promise<void> | null = null;
  /**
   * The room's rev up to which every change is applied here (`revBase`), and the revs seen
   * above it: the base moves up while the next rev has been seen. Set by room:join's `rev` (or
   * the newest rev of the first page when no join came first); sent back as afterRev.
   */
  private revBase: number | null = null;
  private readonly revsAbove = new Set<number>();
  private destroyed = false;

  constructor(
    private readonly roomId: string,
    private readonly store: Store,
    private readonly view: TimelineView,
  ) {}

  /** The first page (the newest) has been read: until then a join asks for no missed messages. */
  get historyLoaded(): boolean {
    return this.loaded;
  }

  get newestSeq(): number {
    return this.newest;
  }

  get loadingOlder(): boolean {
    return this.readingOlder;
  }

  /** The oldest message of the room is held. */
  get atStart(): boolean {
    return this.loaded && !this.hasMoreBefore;
  }

  get(seq: number): Message | undefined {
    return this.messages.get(seq);
  }

  /** The messages held, ascending by seq. */
  sorted(): Message[] {
    return [...this.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Where a room:join resumes from: only once the history is loaded, else it starts afresh. */
  resumePoint(): { afterSeq?: number; afterRev?: number } {
    if (!this.loaded) return {};
    return this.revBase === null ? { afterSeq: this.contiguousSeq } : { afterSeq: this.contiguousSeq, afterRev: this.revBase };
  }

  destroy(): void {
    this.destroyed = true;
  }

  /** Applies copies of messages (live, acks, a resync, a fill); true when a newer message came. */
  apply(list: Message[]): boolean {
    let newer = false;
    const me = this.store.me.id;
    for (const incoming of list) {
      if (incoming.roomId !== this.roomId) continue;
      this.noteRev(incoming.rev);
      // A change to a message older than the history held: it comes in its current state when
      // that history is loaded, and is not shown out of place now.
      if (this.oldestSeq && incoming.seq < this.oldestSeq) {
        this.requote(incoming); // a reply held may quote it
        continue;
      }
      const known = this.messages.get(incoming.seq);
      // Keep the newest state of a message (by rev: an edit may be overtaken by an older copy).
      const m = merge(known, incoming, me);
      if (!m) continue;
      this.messages.set(m.seq, m);
      if (known && (known.text !== m.text || known.deletedAt !== m.deletedAt)) this.requote(m);
      if (m.seq > this.newest) {
        this.newest = m.seq;
        newer = true;
      }
      if (!this.oldestSeq || m.seq < this.oldestSeq) this.oldestSeq = m.seq;
    }
    this.advanceContiguous();
    return newer;
  }

  /**
   * A hole below the newest message (missed while offline, or messages of different nodes
   * arriving interleaved): fetches what lies after the last contiguous one.
   */
  fillGap(): void {
    if (this.loaded && this.newest > this.contiguousSeq) void this.fillAfter();
  }

  /** The page just before the oldest message held (or the newest page on open). */
  loadOlder(initial = false): Promise<void> {
    if (this.readingOlder) return this.older ?? Promise.resolve();
    if (!initial && !this.hasMoreBefore) return Promise.resolve();
    this.older = this.readOlder(initial).finally(() => (this.older = null));
    return this.older;
  }

  /** Loads older pages until message `seq` is held (a quote or a pin was clicked). */
  async loadUntil(seq: number): Promise<void> {
    for (let pages = 0; !this.messages.has(seq) && pages < JUMP_PAGES_MAX && !this.destroyed; pages++) {
      if (!this.loaded || !this.hasMoreBefore || (this.oldestSeq && seq > this.oldestSeq)) break;
      const before = this.oldestSeq;
      await this.loadOlder();
      if (this.oldestSeq === before) break; // nothing came (offline?)
    }
  }

  /** Fetches everything after the newest seq held (a gap seen live, or a long reconnect). */
  fillAfter(): Promise<void> {
    this.filling ??= (async () => {
      try {
        for (;;) {
          const from = this.contiguousSeq;
          const page = await api.messagesAfter(this.roomId, from, 100);
          if (this.destroyed) return;
          this.view.arrived(page.messages); // starts no second fill: this one is running
          if (this.contiguousSeq === from) return; // nothing new came: stop rather than spin
          if (!page.hasMore && this.contiguousSeq >= this.newest) return;
        }
      } catch {
        // the next reconnect or message tries again
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }

  /** The changes after the room's rev, page by page (after a resync cut at its limit). */
  async fillChanges(): Promise<void> {
    try {
      for (let pages = 0; pages < CHANGES_PAGES_MAX && this.revBase !== null && !this.destroyed; pages++) {
        const from: number = this.revBase;
        const page = await api.changes(this.roomId, from, 100);
        if (this.destroyed) return;
        this.view.arrived(page.messages);
        this.setRevBase(page.rev);
        if (!page.hasMore || page.rev <= from) return;
      }
    } catch {
      // the next reconnect asks again from the same rev
    }
  }

  /** Every change up to `rev` is applied here (a join's or a changes page's `rev`). */
  setRevBase(rev: number): void {
    if (this.revBase !== null && rev <= this.revBase) return;
    this.revBase = rev;
    for (const r of this.revsAbove) if (r <= rev) this.revsAbove.delete(r);
    this.advanceRev();
  }

  private async readOlder(initial: boolean): Promise<void> {
    this.readingOlder = true;
    this.view.busy(true);
    try {
      const page = await api.messagesBefore(this.roomId, initial ? null : this.oldestSeq, PAGE);
      if (this.destroyed) return;
      this.hasMoreBefore = page.hasMore;
      const keepPlace = this.view.keepPlace();
      const me = this.store.me.id;
      // With no join before it (offline), the first page sets where changes are counted from:
      // it shows every change up to its newest rev to the messages it holds.
      if (initial && this.revBase === null) this.setRevBase(Math.max(0, ...page.messages.map((m) => m.rev)));
      for (const incoming of page.messages) {
        this.noteRev(incoming.rev);
        const m = merge(this.messages.get(incoming.seq), incoming, me);
        if (m) this.messages.set(m.seq, m);
        if (incoming.seq > this.newest) this.newest = incoming.seq;
        if (!this.oldestSeq || incoming.seq < this.oldestSeq) this.oldestSeq = incoming.seq;
      }
      // Replies quote what their originals say now, as this page has them.
      for (const m of page.messages) this.requote(m);
      if (!page.messages.length) this.hasMoreBefore = false;
      this.view.render();
      if (initial) {
        this.loaded = true;
        // The newest page is contiguous; live messages that came meanwhile may extend it.
        this.contiguousSeq = page.messages.at(-1)?.seq ?? 0;
        this.advanceContiguous();
        this.view.toNewest();
      } else {
        keepPlace();
      }
    } catch (err) {
      this.view.problem(err);
    } finally {
      this.readingOlder = false;
      this.view.busy(false);
    }
    if (this.destroyed) return;
    if (initial) {
      this.view.markRead();
      if (this.newest > this.contiguousSeq) void this.fillAfter();
    }
    if (this.loaded && this.hasMoreBefore && this.view.unfilled()) void this.loadOlder();
  }

  private advanceContiguous(): void {
    while (this.messages.has(this.contiguousSeq + 1)) this.contiguousSeq++;
  }

  /**
   * A change (a message's rev) seen: the base moves while the revs above it have no gap. Kept
   * before the first base too: a broadcast may arrive ahead of room:join's ack.
   */
  private noteRev(rev: number): void {
    if (this.revBase !== null && rev <= this.revBase) return;
    this.revsAbove.add(rev);
    this.advanceRev();
  }

  private advanceRev(): void {
    if (this.revBase === null) return;
    while (this.revsAbove.delete(this.revBase + 1)) this.revBase++;
  }

  /** The replies held to `original` quote it as it is now (edited, or deleted: null). */
  private requote(original: Message): void {
    const quote = excerptOf(original);
    for (const [seq, m] of this.messages) {
      if (m.replyToSeq !== original.seq || !m.replyTo) continue;
      if (m.replyTo.text !== quote.text) this.messages.set(seq, { ...m, replyTo: quote });
    }
  }
}
