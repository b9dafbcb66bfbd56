// One reconnect of bench/resync.ts's client, made with the client SDK (packages/client) as an app
// would: a fresh Connection, then the SDK's resync of every room from its RoomTimeline's position,
// paging the rooms that answer hasMore until none does. Two forms: `rev` resumes from
// { afterSeq, afterRev } (new messages and the older ones changed since), `seq` from { afterSeq }
// alone, the old seq-only form (new messages only; the server answers `{ afterSeq }` exactly as
// it answers a bare seq). Times from the first emit to the last ack; bytes are the acks' JSON.

import { performance } from "node:perf_hooks";
import { Connection, resync, RoomTimeline, type CatchUp, type ResyncTarget, type RoomPosition } from "../packages/client/src/index.js";
import type { World } from "./resync-seed.js";

export type Form = "rev" | "seq";

export interface RunResult {
  form: Form;
  connectMs: number;
  ms: number;
  bytes: number;
  roundTrips: number;
  /** Distinct new messages and distinct changed older messages received. */
  newMessages: number;
  changedMessages: number;
  /** Messages received again (a later page repeating one, `updated` naming a new one). */
  duplicates: number;
  /** Expected but not received (new messages; with `rev`, changed ones too), and rooms answered with an error or stuck. */
  missing: number;
  roomErrors: number;
}

/** A room's timeline, resumed from the world's position, counting what each answer brings before applying it. */
class CountedRoom implements ResyncTarget {
  readonly timeline: RoomTimeline;
  readonly news = new Set<number>();
  readonly changed = new Set<number>();
  duplicates = 0;

  constructor(
    readonly roomId: string,
    from: RoomPosition,
    private readonly form: Form,
  ) {
    this.timeline = new RoomTimeline(roomId, { from: form === "rev" ? from : { afterSeq: from.afterSeq } });
  }

  position(): RoomPosition {
    const at = this.timeline.position();
    return this.form === "rev" ? at : { afterSeq: at.afterSeq };
  }

  applyCatchUp(page: CatchUp): void {
    for (const m of page.messages) {
      if (this.news.has(m.seq)) this.duplicates++;
      else this.news.add(m.seq);
    }
    for (const m of page.updated ?? []) {
      if (this.changed.has(m.seq) || this.news.has(m.seq)) this.duplicates++;
      else this.changed.add(m.seq);
    }
    this.timeline.applyCatchUp(page);
  }
}

export async function resyncOnce(url: string, world: World, form: Form): Promise<RunResult> {
  const c0 = performance.now();
  // validate: false: the run times the server's answers, not the client checking 4 MB of acks
  // against their schemas (which an app would do, at a cost the figures would then include).
  const connection = new Connection({ urls: [url], transports: ["websocket"], validate: false, auth: async () => ({ token: world.client.token }), renewAuth: async () => false });
  const rooms = world.roomIds.map((r) => new CountedRoom(r, world.positions.get(r)!, form));
  const out: RunResult = { form, connectMs: 0, ms: 0, bytes: 0, roundTrips: 0, newMessages: 0, changedMessages: 0, duplicates: 0, missing: 0, roomErrors: 0 };
  try {
    const refused = connection.next("connect_error").then(([err]) => Promise.reject(err));
    connection.start();
    await Promise.race([connection.next("connect"), refused]);
    out.connectMs = performance.now() - c0;
    const acks: unknown[] = []; // sized after the clock stops
    const t0 = performance.now();
    const report = await resync(async (payload) => {
      const ack = await connection.call("sync", payload, 60_000);
      acks.push(ack);
      return ack;
    }, rooms);
    out.ms = performance.now() - t0;
    out.roundTrips = report.roundTrips;
    out.roomErrors = report.errors.size;
    for (const ack of acks) out.bytes += Buffer.byteLength(JSON.stringify(ack));
  } finally {
    connection.close();
  }
  for (const room of rooms) {
    const from = world.positions.get(room.roomId)!.afterSeq;
    const want = world.expectedNew.get(room.roomId)!;
    let got = 0;
    for (let seq = from + 1; seq <= from + want; seq++) if (room.news.has(seq)) got++;
    out.missing += want - got;
    out.newMessages += room.news.size;
    out.changedMessages += room.changed.size;
    out.duplicates += room.duplicates;
    if (form === "rev") for (const seq of world.expectedChanged.get(room.roomId)!) if (!room.changed.has(seq)) out.missing++;
  }
  return out;
}
