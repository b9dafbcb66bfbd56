/**
 * The long-poll event feed (GET /api/events), used for room-list updates while no socket is
 * connected. Starting takes the cursor of "now" and then reloads the lists, so nothing that
 * happened before the first poll is missed; a 410 (cursor too old) does the same again.
 */
import { api, ApiError } from "./api.js";
import type { FeedEvent } from "./types.js";

export class FeedPoller {
  private abort: AbortController | null = null;

  constructor(
    private readonly onEvents: (events: FeedEvent[]) => void,
    private readonly reload: () => Promise<void>,
  ) {}

  get running(): boolean {
    return this.abort !== null;
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
    let cursor: string | null = null;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!cursor) {
          cursor = (await api.events(null, signal)).cursor;
          await this.reload();
          continue;
        }
        const page = await api.events(cursor, signal);
        failures = 0;
        if (signal.aborted) return;
        cursor = page.cursor;
        if (page.events.length) this.onEvents(page.events);
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && err.code === "GONE") {
          cursor = null; // too old to resume: start over from now, reloading the lists
          continue;
        }
        if (err instanceof ApiError && err.status === 401) return; // signed out
        failures++;
        const wait = err instanceof ApiError && err.retryAfterSeconds ? err.retryAfterSeconds * 1000 : Math.min(30_000, 500 * 2 ** failures);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}
