/**
 * The per-user event feed: one log, two deliveries (GET /api/events long-polls and the socket
 * `event`). Design, limits and failure modes: docs/events-feed.md.
 */
import { Gone, Invalid, RateLimited } from "./errors.js";
import type { Broadcaster } from "./ports/broadcaster.js";
import type { FeedEvent } from "../protocol/feed.js";
import type { FeedEventDraft, FeedPublisher } from "./ports/feed.js";
import type { FeedLog, FeedWaker, StoredFeedEvent } from "./ports/feed-log.js";
import { renderPairs, type RoomViewDeps } from "./room-views.js";

/** The wire shape (src/protocol/feed.ts): each type with its own `data`. */
export type { FeedEvent };

export interface FeedDeps extends RoomViewDeps {
  feedLog: FeedLog;
  waker: FeedWaker;
  broadcaster: Broadcaster;
  onError(err: unknown, what: string): void;
}

// room.updated is batched: a burst of messages costs one write per member per window, and the
// window is short enough that a room list feels live.
export const ROOM_UPDATE_WINDOW_MS = 250;
// A room that keeps changing is written at most once per member per this interval: a message in a
// quiet room still shows within one window, while a busy room's list entry (its last message,
// unread count) trails by at most about 1.5 s. Without it, 100 rooms of 10 cost 4,000 feed rows,
// renders and socket events a second whatever the message rate (a fifth of a node at 1,000 msgs/s).
export const ROOM_UPDATE_MIN_INTERVAL_MS = 1_000;
// Each write of a room adds a random part of a window to its interval, so busy rooms drift apart
// instead of all coming due in the same window: 100 busy rooms written together every second made
// one burst of 1,000 rows, renders and socket events, the node's worst ack latency each second.
const ROOM_UPDATE_JITTER_MS = ROOM_UPDATE_WINDOW_MS;
// Socket events of one flush are sent this many at a time, the event loop turning in between, so
// sends queued meanwhile are not held behind a whole batch.
const EMIT_SLICE = 100;
// A response carries every pending event up to this many after coalescing (PROTOCOL: >= 100).
export const POLL_EVENTS_MAX = 500;
const POLL_READ_ROWS = 2_000;
// PROTOCOL: a user may hold at least 10 polls at once (tabs); beyond this per node, 429.
export const POLLS_PER_USER_MAX = 20;

const CURSOR = /^f1\.(\d{1,10})$/;

export function encodeCursor(seq: number): string {
  return Buffer.from(`f1.${seq}`).toString("base64url");
}

export function decodeCursor(cursor: string): number {
  const m = CURSOR.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  // Seqs are int4 in the log: anything larger is not a cursor we issued.
  if (!m || cursor.length > 64 || Number(m[1]) > 2_147_483_647) throw new Invalid("cursor cannot be parsed", [{ path: "cursor", message: "is not a cursor from this API" }]);
  return Number(m[1]);
}

export class EventsFeed implements FeedPublisher {
  private pending = new Map<string, Set<string>>();
  /** When each recently updated room was last written (rooms older than the interval are dropped). */
  private readonly flushedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private pollsByUser = new Map<string, number>();
  private held = new Set<() => void>();
  private closed = false;

  constructor(private readonly deps: FeedDeps) {}

  async publish(userId: string, draft: FeedEventDraft): Promise<void> {
    const stored = await this.deps.feedLog.append(userId, draft.type, draft.data);
    this.deps.broadcaster.toUsers([userId], "event", toWire(stored, draft.data));
    this.deps.waker.wake([userId]);
  }

  async roomChanged(roomId: string, userIds: string[]): Promise<void> {
    if (!userIds.length) return;
    let users = this.pending.get(roomId);
    if (!users) this.pending.set(roomId, (users = new Set()));
    for (const u of userIds) users.add(u);
    this.schedule();
  }

  private schedule() {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, ROOM_UPDATE_WINDOW_MS);
  }

  /** Writes the pending rooms that are due (all of them when the node drains). */
  private async flush(all = false): Promise<void> {
    const now = Date.now();
    for (const [roomId, at] of this.flushedAt) if (at <= now - ROOM_UPDATE_MIN_INTERVAL_MS) this.flushedAt.delete(roomId);
    const batch = new Map<string, Set<string>>();
    for (const [roomId, users] of this.pending) {
      if (!all && this.flushedAt.has(roomId)) continue;
      batch.set(roomId, users);
      this.pending.delete(roomId);
      this.flushedAt.set(roomId, now + Math.random() * ROOM_UPDATE_JITTER_MS);
    }
    if (this.pending.size && !this.closed) this.schedule();
    const pairs = [...batch].flatMap(([roomId, users]) => [...users].map((userId) => ({ userId, roomId })));
    if (!pairs.length) return;
    try {
      const stored = await this.deps.feedLog.appendRoomUpdates(pairs);
      this.deps.waker.wake([...new Set(pairs.map((p) => p.userId))]);
      await this.emitRoomUpdates(stored);
    } catch (err) {
      this.deps.onError(err, "room.updated flush");
    }
  }

  /** Live copies for connected sockets (one render for the whole batch); polls render their own from the log. */
  private async emitRoomUpdates(stored: { userId: string; event: StoredFeedEvent }[]) {
    const rendered = await this.render(stored);
    for (let i = 0; i < rendered.length; i += EMIT_SLICE) {
      if (i) await new Promise<void>((resolve) => setImmediate(resolve));
      for (const { userId, event } of rendered.slice(i, i + EMIT_SLICE)) this.deps.broadcaster.toUsers([userId], "event", event);
    }
  }

  /**
   * Turns log rows into wire events, for one or many users in a constant number of queries;
   * room.updated gets the room's current view (dropped if the user is no longer a member).
   */
  private async render(rows: { userId: string; event: StoredFeedEvent }[]): Promise<{ userId: string; event: FeedEvent }[]> {
    const pairs = rows.filter((r) => r.event.type === "room.updated" && r.event.roomId).map((r) => ({ userId: r.userId, roomId: r.event.roomId! }));
    const views = new Map((await renderPairs(this.deps, pairs)).map((p) => [`${p.userId} ${p.view.id}`, p.view]));
    return rows.flatMap(({ userId, event }) => {
      if (event.type !== "room.updated") return [{ userId, event: toWire(event, event.data ?? {}) }];
      const room = views.get(`${userId} ${event.roomId}`);
      return room ? [{ userId, event: toWire(event, { room }) }] : [];
    });
  }

  /** The cursor of "now": events after it are news. */
  async currentCursor(userId: string): Promise<string> {
    return encodeCursor(await this.deps.feedLog.lastSeq(userId));
  }

  /**
   * Returns at once when events are pending after the cursor; otherwise holds until one
   * arrives, the timeout passes, or `signal` aborts (client gone).
   */
  async poll(userId: string, cursor: string, timeoutMs: number, signal: AbortSignal): Promise<{ events: FeedEvent[]; cursor: string }> {
    const after = decodeCursor(cursor);
    const held = this.pollsByUser.get(userId) ?? 0;
    if (held >= POLLS_PER_USER_MAX) throw new RateLimited(1);
    this.pollsByUser.set(userId, held + 1);
    let wake: () => void = () => {};
    let woken = false;
    const unsubscribe = this.deps.waker.subscribe(userId, () => {
      woken = true;
      wake();
    });
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        // The client is gone (or the node drains): answer without another read.
        if (signal.aborted || this.closed) return { events: [], cursor };
        // Subscribed before reading: an event committed after this read still wakes us.
        woken = false;
        const result = await this.readAfter(userId, after, cursor);
        if (result.events.length || Date.now() >= deadline || signal.aborted || this.closed) return result;
        if (!woken) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, deadline - Date.now());
            const done = () => {
              clearTimeout(timer);
              signal.removeEventListener("abort", done);
              this.held.delete(done);
              resolve();
            };
            wake = done;
            this.held.add(done);
            signal.addEventListener("abort", done, { once: true });
          });
        }
      }
    } finally {
      unsubscribe();
      const left = (this.pollsByUser.get(userId) ?? 1) - 1;
      if (left) this.pollsByUser.set(userId, left);
      else this.pollsByUser.delete(userId);
    }
  }

  private async readAfter(userId: string, after: number, cursor: string) {
    const { events, lastSeq, trimmedThrough } = await this.deps.feedLog.read(userId, after, POLL_READ_ROWS);
    if (after < trimmedThrough || after > lastSeq) throw new Gone("cursor is too old to resume: reload rooms and invites, then poll without a cursor");
    if (!events.length) return { events: [], cursor };
    // Coalesce: each room's room.updated stands once, at its last position (newest state).
    const lastPos = new Map<string, number>();
    events.forEach((e, i) => e.type === "room.updated" && e.roomId && lastPos.set(e.roomId, i));
    const kept = events.filter((e, i) => e.type !== "room.updated" || !e.roomId || lastPos.get(e.roomId) === i);
    const capped = kept.slice(0, POLL_EVENTS_MAX);
    // Every row up to the last kept event's seq is delivered (or superseded by a later one).
    const upto = kept.length > capped.length ? capped.at(-1)!.seq : events.at(-1)!.seq;
    const rendered = await this.render(capped.map((event) => ({ userId, event })));
    return { events: rendered.map((r) => r.event), cursor: encodeCursor(upto) };
  }

  trim(before: Date): Promise<number> {
    return this.deps.feedLog.trim(before);
  }

  /** Flushes pending room updates and releases held polls (draining node). */
  async close(): Promise<void> {
    this.closed = true;
    for (const release of [...this.held]) release();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flushing = this.flushing.then(() => this.flush(true));
    await this.flushing;
  }
}

function toWire(e: StoredFeedEvent, data: Record<string, unknown>): FeedEvent {
  // The log keeps each event's data as its publisher gave it: a FeedEventDraft, whose data is
  // loosely typed so that the use cases and their tests need not narrow on `type`. The shape per
  // type is the protocol's (FeedEventSchema); this is where the loose form is taken to be it.
  return { id: String(e.seq), type: e.type, at: e.at.toISOString(), data } as FeedEvent;
}
