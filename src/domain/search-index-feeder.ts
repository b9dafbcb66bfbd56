import type { Message } from "./message.js";
import { laterVersion, type MessageSearchIndex } from "./ports/message-search.js";

/** A change shows in search within this (plus one batch write); PROTOCOL.md promises 2 s. */
export const SEARCH_FLUSH_MS = 250;
/** A batch this large is written at once, without waiting for the timer. */
const BATCH_MAX = 500;
/** After a failed write, the next attempt waits this long, doubling up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/**
 * Changes held while the index is unreachable. Past this, new messages are dropped (they go
 * missing from search, logged) rather than growing without bound; deletions are always kept,
 * because a deletion lost would leave text findable that its author removed.
 */
const PENDING_MAX = 100_000;

export interface SearchIndexFeederOptions {
  flushMs?: number;
  onError?: (err: unknown, what: string) => void;
}

/**
 * Feeds the search index off the send path: the message hooks call put() (never blocks, never
 * throws), and one writer flushes the latest version of each changed message in batches. Two
 * versions of one message queued together collapse to the later one (laterVersion), and the
 * index applies the same rule, so the feeders of several nodes may race freely.
 * A node that dies loses what it had not flushed (up to SEARCH_FLUSH_MS of changes).
 */
export class SearchIndexFeeder {
  private pending = new Map<string, Message>();
  private timer: NodeJS.Timeout | undefined;
  private timerNow = false;
  private writing: Promise<void> | undefined;
  private retryMs = 0;
  private dropped = 0;
  private closed = false;
  private readonly flushMs: number;

  constructor(
    private readonly index: MessageSearchIndex,
    private readonly options: SearchIndexFeederOptions = {},
  ) {
    this.flushMs = options.flushMs ?? SEARCH_FLUSH_MS;
  }

  /** A new, edited or deleted message. */
  put(message: Message): void {
    if (this.closed) return;
    const queued = this.pending.get(message.id);
    if (!queued && this.pending.size >= PENDING_MAX && !message.deletedAt) {
      if (this.dropped++ % 1000 === 0) this.options.onError?.(new Error(`${this.dropped} changes dropped so far`), "search index backlog is full");
      return;
    }
    this.pending.set(message.id, queued ? laterVersion(queued, message) : message);
    this.schedule();
  }

  /** Writes everything queued so far (tests, drain). Rejects if the index refuses a write. */
  async flush(): Promise<void> {
    for (;;) {
      while (this.writing) await this.writing;
      if (this.pending.size === 0) return;
      await this.write();
    }
  }

  /** Stops taking changes, then writes what is queued (one attempt per batch). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch((err) => this.options.onError?.(err, "search index: final flush failed"));
  }

  /** Arms the timer: at once for a full batch, after the retry delay when failing, else after flushMs. */
  private schedule() {
    if (this.closed || this.writing || this.pending.size === 0) return;
    const now = this.pending.size >= BATCH_MAX && this.retryMs === 0;
    if (this.timer && (!now || this.timerNow)) return;
    clearTimeout(this.timer);
    this.timerNow = now;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.writing) return; // a flush() got there first; settled() re-arms
      this.write().catch(() => {}); // reported in write(), retried by schedule()
    }, now ? 0 : this.retryMs || this.flushMs);
    this.timer.unref();
  }

  /** One batch; the only writer (callers check `writing` first), so batches of one node apply in order. */
  private write(): Promise<void> {
    const batch = [...this.pending.values()].slice(0, BATCH_MAX);
    if (batch.length === 0) return Promise.resolve();
    for (const m of batch) this.pending.delete(m.id);
    const done = this.index.apply(batch).then(
      () => {
        this.retryMs = 0;
      },
      (err: unknown) => {
        // Put the batch back, unless a newer version of a message arrived meanwhile.
        for (const m of batch) {
          const newer = this.pending.get(m.id);
          this.pending.set(m.id, newer ? laterVersion(m, newer) : m);
        }
        this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
        this.options.onError?.(err, "search index write failed; will retry");
        throw err;
      },
    );
    this.writing = done.then(
      () => this.settled(),
      () => this.settled(),
    );
    return done;
  }

  private settled() {
    this.writing = undefined;
    this.schedule();
  }
}
