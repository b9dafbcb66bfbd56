/**
 * The open room's history as the reader moves through it, over the SDK's RoomTimeline (which holds
 * the messages, keeps them live, resyncs them after every reconnect and fills the gaps a lost
 * broadcast leaves): the newest page on open, then older pages as the reader scrolls up or jumps
 * to a quote, each put in without moving the message being read.
 */
import type { RoomTimeline } from "@chat-backend/client";

/** Pages of older history a jump to a quoted message may load before giving up. */
const JUMP_PAGES_MAX = 40;

export interface HistoryView {
  /** A read of history started or ended. */
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

export class RoomHistory {
  private shown = false;
  private reading: Promise<void> | null = null;
  private destroyed = false;
  private readonly off: () => void;

  constructor(
    private readonly timeline: RoomTimeline,
    private readonly view: HistoryView,
  ) {
    // The client read the newest page itself (its catch-up after a connect): show it.
    this.off = timeline.on("history", () => {
      if (!this.shown && !this.reading) void this.loadOlder();
    });
  }

  /** The newest page is shown: until then there is no newest message to stay at, nor anything read. */
  get loaded(): boolean {
    return this.shown;
  }

  get loading(): boolean {
    return this.reading !== null;
  }

  /** The room's first message is shown. */
  get atStart(): boolean {
    return this.shown && !this.timeline.hasMoreBefore;
  }

  destroy(): void {
    this.destroyed = true;
    this.off();
  }

  /** The newest page on open, then the page before the oldest message shown. */
  loadOlder(): Promise<void> {
    this.reading ??= this.read().then((read) => {
      this.reading = null;
      // Still no scrollbar to scroll up with: the next page at once.
      if (read && !this.destroyed && this.timeline.hasMoreBefore && this.view.unfilled()) return this.loadOlder();
    });
    return this.reading;
  }

  /** Loads older pages until message `seq` is shown (a quote or a pin was clicked). */
  async loadUntil(seq: number): Promise<void> {
    for (let pages = 0; pages < JUMP_PAGES_MAX && !this.destroyed; pages++) {
      if (!this.shown || seq >= this.timeline.floor || !this.timeline.hasMoreBefore) break;
      const floor = this.timeline.floor;
      await this.loadOlder();
      if (this.timeline.floor === floor) break; // nothing came (offline?)
    }
  }

  /** One page read and shown; false when nothing was (at the start, failed, closed). */
  private async read(): Promise<boolean> {
    const first = !this.shown;
    if (!first && !this.timeline.hasMoreBefore) return false;
    this.view.busy(true);
    try {
      if (first) await this.timeline.start();
      else await this.timeline.loadOlder();
      if (this.destroyed) return false;
      // The page is in the timeline, not yet on screen: measured now, the reader's place holds.
      const keep = first ? null : this.view.keepPlace();
      this.shown = true;
      this.view.render();
      if (keep) keep();
      else this.view.toNewest();
    } catch (err) {
      this.view.problem(err);
      return false;
    } finally {
      this.view.busy(false);
    }
    if (first) this.view.markRead();
    return true;
  }
}
