/**
 * The rooms a client follows, each a RoomTimeline kept up to date: live events applied as they
 * come, a catch-up after every connect (room:join for the live traffic first, then `sync` from
 * each timeline's position: a message committed in between then arrives live, in the sync, or
 * both, never neither; docs/clients.md), and gaps the live stream leaves filled (gap-repair.ts).
 */
import type { Connection } from "./connection.js";
import { asChatError, ChatError } from "./errors.js";
import { GapRepair } from "./gap-repair.js";
import type { PresenceBook } from "./presence.js";
import type { Message, ReceiptUpdated, Room } from "./protocol.js";
import { resync, type ResyncReport } from "./resync.js";
import { RoomTimeline, type PageReader, type TimelineOptions } from "./timeline.js";

/** One `sync` may carry 200 rooms of 100 messages each: longer than an ordinary ack. */
const SYNC_TIMEOUT_MS = 30_000;

export interface FollowedRoomsDeps {
  connection: Connection;
  presence: PresenceBook;
  /** The signed-in user (gives broadcast reactions their `me`). */
  userId: () => string | null;
  /** Whether the client is connected and resynced: gaps are repaired only then. */
  ready: () => boolean;
  /** New messages or new states of messages, per timeline, as applied. */
  changed: (timeline: RoomTimeline, messages: Message[]) => void;
  /** A page of older history came into a timeline. */
  paged: (timeline: RoomTimeline, messages: Message[]) => void;
  /** Reads a page of a room's history (for timelines opened at the newest page, and loadOlder). */
  pages: (roomId: string) => PageReader;
  /** A followed room refused the user (NOT_FOUND once they are no longer a member). */
  refused: (roomId: string, error: ChatError) => void;
  /** A background catch-up (a room opened while connected) failed. */
  failed: (error: ChatError) => void;
}

export class FollowedRooms {
  private readonly timelines = new Map<string, RoomTimeline>();
  private readonly gaps = new GapRepair((t) => this.sync([t]));

  constructor(private readonly deps: FollowedRoomsDeps) {}

  /** Follows a room (the same timeline for the same room every time); caught up at once if connected. */
  open(roomId: string, opts: Pick<TimelineOptions, "from" | "pageSize"> = {}): RoomTimeline {
    let timeline = this.timelines.get(roomId);
    if (timeline) return timeline;
    const userId = this.deps.userId();
    timeline = new RoomTimeline(roomId, { ...opts, pages: this.deps.pages(roomId), ...(userId ? { userId } : {}) });
    const t = timeline;
    t.on("messages", (changed) => {
      this.deps.changed(t, changed);
      if (this.deps.ready()) this.gaps.check(t);
    });
    t.on("history", (page) => this.deps.paged(t, page));
    this.timelines.set(roomId, t);
    if (this.deps.connection.connected) {
      const connects = this.deps.connection.connectCount;
      this.catchUp([t], () => this.deps.connection.connectCount === connects).catch((err) => {
        if (this.deps.connection.connectCount === connects) this.deps.failed(asChatError(err));
      });
    }
    return t;
  }

  /** Stops following a room (and its live traffic on this socket). */
  close(roomId: string): void {
    const timeline = this.timelines.get(roomId);
    if (!timeline) return;
    this.timelines.delete(roomId);
    this.gaps.forget(timeline);
    if (this.deps.connection.connected) this.deps.connection.call("room:leave", { roomId }).catch(() => {});
  }

  get(roomId: string): RoomTimeline | undefined {
    return this.timelines.get(roomId);
  }

  all(): RoomTimeline[] {
    return [...this.timelines.values()];
  }

  /** A live message:new or message:updated. False when the room is not followed here. */
  applyLive(message: Message): boolean {
    const timeline = this.timelines.get(message.roomId);
    timeline?.apply([message]);
    return timeline !== undefined;
  }

  applyReceipt(r: ReceiptUpdated): void {
    this.timelines.get(r.roomId)?.applyReceipt(r.userId, r.lastReadSeq);
  }

  /** A room list change (feed `room.updated`): a lastSeq beyond what is held may be a lost broadcast. */
  roomUpdated(room: Room): void {
    const timeline = this.timelines.get(room.id);
    if (timeline && this.deps.ready()) this.gaps.check(timeline, room.lastSeq);
  }

  /** After a resync: any gap still open is watched. */
  checkGaps(): void {
    for (const t of this.timelines.values()) this.gaps.check(t);
  }

  /**
   * Joins each room on this socket, then fetches what it missed: a timeline opened at the newest
   * page reads that page first (after the join: nothing falls between), then every timeline
   * resyncs from its position. `current` says whether the connection this began on is still the
   * one in use: a drop ends the catch-up (the next connect starts another).
   */
  async catchUp(timelines: RoomTimeline[], current: () => boolean): Promise<ResyncReport> {
    const joined: RoomTimeline[] = [];
    await Promise.all(
      timelines.map(async (t) => {
        try {
          const ack = await this.deps.connection.call("room:join", { roomId: t.roomId });
          for (const m of ack.members) t.applyReceipt(m.userId, m.lastReadSeq);
          this.deps.presence.applyMembers(ack.members);
          joined.push(t);
        } catch (err) {
          const e = asChatError(err);
          if (e.transient) throw e;
          this.deps.refused(t.roomId, e);
        }
      }),
    );
    await Promise.all(
      joined.map((t) =>
        t.start().catch((err: unknown) => {
          const e = asChatError(err);
          // Not read now (the network): left to the app's next loadOlder, which reads after this join.
          if (!e.transient) this.deps.refused(t.roomId, e);
        }),
      ),
    );
    if (!current()) throw new ChatError("NOT_CONNECTED", "the connection changed during the catch-up");
    return this.sync(joined.filter((t) => t.started));
  }

  stop(): void {
    this.gaps.close();
  }

  /** `sync` from each room's position until none has more. */
  private async sync(timelines: RoomTimeline[]): Promise<ResyncReport> {
    const report = await resync((payload) => this.deps.connection.call("sync", payload, SYNC_TIMEOUT_MS), timelines);
    for (const [roomId, err] of report.errors) this.deps.refused(roomId, err);
    return report;
  }
}
