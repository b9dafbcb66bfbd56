/**
 * The long-poll event feed (PROTOCOL.md, "Long-poll event feed"; GET /api/events) for a client
 * without a socket: invites, room list changes, friend requests. Polls chain cursors, so no event
 * is skipped whichever node answers. It starts from the cursor of "now" and then calls onReset,
 * where the app (re)loads GET /api/rooms and /api/invites: whatever happened before that cursor is
 * in those lists. A cursor too old to resume (410 GONE) starts over the same way.
 */
import { backoffDelay, delay, type BackoffOptions } from "./backoff.js";
import { asChatError } from "./errors.js";
import type { FeedEvent } from "./protocol.js";
import type { ChatRest } from "./rest.js";

export interface FeedOptions {
  /** Events in the order the feed gives them (a batch per poll). */
  onEvents: (events: FeedEvent[]) => void | Promise<void>;
  /** Start, or restart after GONE: reload the lists the events update. */
  onReset?: () => void | Promise<void>;
  /** A poll failed (it is retried after a backoff); a 401 that no refresh cures stops the feed. */
  onError?: (err: unknown) => void;
  /** How long the server holds a poll, in seconds (default 25, at most 55). */
  timeoutSeconds?: number;
  backoff?: BackoffOptions;
}

export class FeedPoller {
  private abort: AbortController | null = null;
  private cursorNow: string | null = null;

  constructor(
    private readonly rest: ChatRest,
    private readonly opts: FeedOptions,
  ) {}

  get running(): boolean {
    return this.abort !== null;
  }

  /** The cursor of the last answer (to resume from elsewhere). */
  get cursor(): string | null {
    return this.cursorNow;
  }

  start(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    void this.run(abort.signal).finally(() => {
      if (this.abort === abort) this.abort = null;
    });
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!this.cursorNow) {
          this.cursorNow = (await this.rest.events(undefined, undefined, signal)).cursor;
          await this.opts.onReset?.();
          continue;
        }
        const page = await this.rest.events(this.cursorNow, this.opts.timeoutSeconds, signal);
        if (signal.aborted) return;
        failures = 0;
        // The cursor moves on once the events are handled: if onEvents throws, the same cursor
        // is presented again and returns the same events (PROTOCOL: at least once, never skipped).
        if (page.events.length) await this.opts.onEvents(page.events);
        this.cursorNow = page.cursor;
      } catch (thrown) {
        if (signal.aborted) return;
        const err = asChatError(thrown);
        if (err.code === "GONE") {
          this.cursorNow = null; // too old to resume: from now, with the lists reloaded
          continue;
        }
        this.opts.onError?.(err);
        if (err.code === "SIGNED_OUT" || err.status === 401) return;
        await delay(err.retryAfterMs ?? backoffDelay(failures++, this.opts.backoff), signal);
      }
    }
  }
}
