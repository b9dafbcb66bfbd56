/**
 * Filling what a live stream missed without a reconnect. A node that dies between storing a
 * message and publishing its broadcast leaves a hole that every client still connected elsewhere
 * sees only as a gap: a later seq (or rev) arrives and an earlier one never does. Messages of
 * different nodes interleave too (PROTOCOL.md, guarantee 5), so a gap is given a moment to close
 * by itself; one that outlives it is fetched with `sync` from the room's position, which brings
 * exactly what is missing. A room list change naming a newer seq than any held (a feed
 * `room.updated`) is treated the same way, which also catches a lost broadcast that nothing follows.
 */
import type { RoomTimeline } from "./timeline.js";

export type RepairRoom = (timeline: RoomTimeline) => Promise<unknown>;

/** How long a gap may stay open before it is fetched, in ms (messages of two nodes interleave within it). */
export const GAP_GRACE_MS = 1_000;

export class GapRepair {
  private readonly timers = new Map<RoomTimeline, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly repair: RepairRoom,
    private readonly graceMs = GAP_GRACE_MS,
  ) {}

  /** Looks at `timeline` now: a gap (or a seq known to exist, `knownSeq`) is fetched if still open after the grace. */
  check(timeline: RoomTimeline, knownSeq = 0): void {
    if (this.timers.has(timeline) || !timeline.started) return; // not started: nothing to be behind of
    const wantSeq = Math.max(timeline.newestSeq, knownSeq);
    const wantRev = timeline.newestRev;
    if (wantSeq <= timeline.lastSeq && !timeline.behind) return;
    const timer = setTimeout(() => {
      this.timers.delete(timeline);
      const open = timeline.lastSeq < wantSeq || (timeline.rev ?? 0) < wantRev;
      if (!open) return this.check(timeline); // that gap closed; a newer one may be open
      this.repair(timeline).then(
        () => this.check(timeline),
        () => {}, // not connected, or the room is gone: the next reconnect resyncs it
      );
    }, this.graceMs);
    this.timers.set(timeline, timer);
  }

  forget(timeline: RoomTimeline): void {
    const timer = this.timers.get(timeline);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(timeline);
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
