// One reconnect of bench/resync.ts's client, as a client does it: a fresh socket, then `sync` with
// its last position in every room, again for the rooms that answered hasMore (each moved to the
// last seq received and the rev answered) until none does. Two forms: `rev` sends { afterSeq,
// afterRev } (new messages and the older ones changed since), `seq` the old seq-only form (new
// messages only). Times from the first emit to the last ack; bytes are the acks' JSON.

import { performance } from "node:perf_hooks";
import { connectSocket, type World } from "./resync-seed.js";

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

/** At most this many rooms per `sync` (SYNC_ROOMS_MAX): more go in several calls, one after another. */
const ROOMS_PER_CALL = 200;
const MAX_ROUND_TRIPS = 1_000;

interface Seen {
  afterSeq: number;
  afterRev: number;
  news: Set<number>;
  changed: Set<number>;
}

interface CatchUp {
  messages: { seq: number }[];
  updated?: { seq: number }[];
  rev: number;
  hasMore: boolean;
  error?: unknown;
}

export async function resyncOnce(url: string, world: World, form: Form): Promise<RunResult> {
  const c0 = performance.now();
  const socket = await connectSocket(url, world.client.token);
  const connectMs = performance.now() - c0;
  const state = new Map<string, Seen>(world.roomIds.map((r) => [r, { ...world.positions.get(r)!, news: new Set(), changed: new Set() }]));
  const out: RunResult = { form, connectMs, ms: 0, bytes: 0, roundTrips: 0, newMessages: 0, changedMessages: 0, duplicates: 0, missing: 0, roomErrors: 0 };
  try {
    let pending = [...world.roomIds];
    const acks: unknown[] = []; // sized after the clock stops
    const t0 = performance.now();
    while (pending.length && out.roundTrips < MAX_ROUND_TRIPS) {
      const next: string[] = [];
      for (let i = 0; i < pending.length; i += ROOMS_PER_CALL) {
        const rooms = pending.slice(i, i + ROOMS_PER_CALL);
        const payload = Object.fromEntries(
          rooms.map((r) => {
            const s = state.get(r)!;
            return [r, form === "rev" ? { afterSeq: s.afterSeq, afterRev: s.afterRev } : s.afterSeq];
          }),
        );
        const ack = await socket.timeout(60_000).emitWithAck("sync", { rooms: payload });
        out.roundTrips++;
        acks.push(ack);
        if (!ack?.ok) throw new Error(`sync: ${JSON.stringify(ack).slice(0, 300)}`);
        for (const r of rooms) {
          const a = ack.rooms[r] as CatchUp | undefined;
          const s = state.get(r)!;
          if (!a || a.error) {
            out.roomErrors++;
            continue;
          }
          for (const m of a.messages) {
            if (s.news.has(m.seq)) out.duplicates++;
            else s.news.add(m.seq);
            s.afterSeq = Math.max(s.afterSeq, m.seq);
          }
          for (const m of a.updated ?? []) {
            if (s.changed.has(m.seq) || s.news.has(m.seq)) out.duplicates++;
            else s.changed.add(m.seq);
          }
          s.afterRev = a.rev;
          if (!a.hasMore) continue;
          if (!a.messages.length && !a.updated?.length) out.roomErrors++; // hasMore with nothing: it would never end
          else next.push(r);
        }
      }
      pending = next;
    }
    out.ms = performance.now() - t0;
    out.roomErrors += pending.length;
    for (const ack of acks) out.bytes += Buffer.byteLength(JSON.stringify(ack));
  } finally {
    socket.close();
  }
  for (const r of world.roomIds) {
    const s = state.get(r)!;
    const from = world.positions.get(r)!.afterSeq;
    const want = world.expectedNew.get(r)!;
    let got = 0;
    for (let seq = from + 1; seq <= from + want; seq++) if (s.news.has(seq)) got++;
    out.missing += want - got;
    out.newMessages += s.news.size;
    out.changedMessages += s.changed.size;
    if (form === "rev") for (const seq of world.expectedChanged.get(r)!) if (!s.changed.has(seq)) out.missing++;
  }
  return out;
}
