/**
 * Catching up after a (re)connect (PROTOCOL.md, guarantee 3; docs/clients.md, "Reconnect,
 * resync, resend"): `sync` with every room's position ({ afterSeq, afterRev }), at most 200 rooms
 * per call, asked again for each room that answered `hasMore` from where its answer left it, until
 * none does. What a room answers is applied by the room itself (a RoomTimeline), so the next
 * question starts from exactly what is now held.
 */
import { SYNC_ROOMS_MAX } from "../../../src/protocol/limits.js";
import { ChatError } from "./errors.js";
import type { AckResult, CatchUp, ClientPayload } from "./protocol.js";
import type { RoomPosition } from "./timeline.js";

/** A room to catch up: where it is, and what to do with an answer. */
export interface ResyncTarget {
  readonly roomId: string;
  position(): RoomPosition;
  applyCatchUp(page: CatchUp): unknown;
}

export type SyncCall = (payload: ClientPayload<"sync">) => Promise<AckResult<"sync">>;

export interface ResyncReport {
  /** `sync` calls made. */
  roundTrips: number;
  /** Messages received: new ones, and older ones in their changed state. */
  messages: number;
  updated: number;
  /** Rooms the server refused (NOT_FOUND: no longer a member), by room id. */
  errors: Map<string, ChatError>;
}

/** Guards against a server answering hasMore forever without moving the position. */
const ROUND_TRIPS_MAX = 10_000;

export async function resync(call: SyncCall, targets: Iterable<ResyncTarget>): Promise<ResyncReport> {
  const report: ResyncReport = { roundTrips: 0, messages: 0, updated: 0, errors: new Map() };
  let pending = [...targets];
  while (pending.length) {
    const more: ResyncTarget[] = [];
    for (let i = 0; i < pending.length; i += SYNC_ROOMS_MAX) {
      const batch = pending.slice(i, i + SYNC_ROOMS_MAX);
      const asked = new Map(batch.map((t) => [t.roomId, t.position()]));
      if (++report.roundTrips > ROUND_TRIPS_MAX) throw new ChatError("PROTOCOL", "sync: the server keeps answering hasMore");
      const ack = await call({ rooms: Object.fromEntries(asked) });
      for (const target of batch) {
        const page = ack.rooms[target.roomId];
        if (!page) {
          report.errors.set(target.roomId, new ChatError("PROTOCOL", `sync: no answer for room ${target.roomId}`));
          continue;
        }
        if (page.error) {
          report.errors.set(target.roomId, new ChatError(page.error.code, page.error.message));
          continue;
        }
        target.applyCatchUp(page);
        report.messages += page.messages.length;
        report.updated += page.updated?.length ?? 0;
        if (!page.hasMore) continue;
        const before = asked.get(target.roomId)!;
        const after = target.position();
        if (after.afterSeq === before.afterSeq && after.afterRev === before.afterRev) {
          report.errors.set(target.roomId, new ChatError("PROTOCOL", `sync: room ${target.roomId} answered hasMore without moving on`));
          continue;
        }
        more.push(target);
      }
    }
    pending = more;
  }
  return report;
}
