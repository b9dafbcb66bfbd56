// Phase 1 of bench/feed.ts: held polls on one node. The node's live heap (after a full GC), RSS and
// CPU idle, while holding --polls polls and after releasing them, per waiter; SQL statements per
// opened and released poll.
import http from "node:http";
import { percentOfCore, tally } from "../lib/report.js";
import { afterGc, heldPolls, memory, procStats, queryDelta, waitHeld, waitIdle, type FeedNode } from "./feed-nodes.js";
import { openPoll, type Poll } from "./poll-client.js";
import { cursorOf, type User } from "./seed-users.js";
import { f1, f2, HOLD_S, load, log, sleep } from "./settings.js";

type GcMiB = Awaited<ReturnType<typeof afterGc>>;

export interface HeldReport {
  /** After a full GC in the node: before the polls, while holding, after the release. */
  live: { before: GcMiB; held: GcMiB; released: GcMiB };
  polls: number;
  held: number;
  openSeconds: number;
  before: Awaited<ReturnType<typeof memory>>;
  after: Awaited<ReturnType<typeof memory>>;
  released: Awaited<ReturnType<typeof memory>>;
  idleCpuPct: number;
  heldCpuPct: number;
  releaseMs: number;
  errors: string;
  early: string;
  load: string;
}

/** Phase 1: N polls held on node B; memory and CPU before, while holding and after the release. */
export async function heldPhase(b: FeedNode, users: User[]): Promise<HeldReport> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 0 });
  // Warm-up: the route, auth, Prisma and the JIT, so the baseline is not a cold process.
  log(`warm-up: 2 x 500 polls with timeout=0 on node B`);
  for (let k = 0; k < 2; k++) {
    const warm = users.slice(0, 500).map((u) => openPoll(b, agent, u, cursorOf(0), 0));
    await Promise.all(warm.map((p) => p.done));
  }
  agent.destroy();
  await waitIdle(b);
  const liveBefore = await afterGc(b);
  await sleep(1_000);
  const before = await memory(b);
  const idleWindow = 5;
  log(`idle baseline over ${idleWindow} s: RSS ${f1(before.rssMiB)} MiB, heap used ${f1(before.heapUsedMiB)} MiB (live after GC ${f1(liveBefore.heapMiB)} MiB)`);
  await sleep(idleWindow * 1000);
  const idleCpuPct = percentOfCore(procStats(b.pid).cpuSeconds - before.cpuSeconds, idleWindow);

  const holder = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 0 });
  const polls: Poll[] = [];
  let released = false;
  const errors: string[] = [];
  const early: string[] = [];
  const t0 = Date.now();
  log(`opening ${users.length} polls on node B (timeout=55, at most 250 connecting at once)`);
  for (let i = 0; i < users.length; i += 250) {
    const batch = users.slice(i, i + 250).map((u) => openPoll(b, holder, u, cursorOf(0)));
    for (const p of batch) {
      polls.push(p);
      void p.done.then((r) => {
        if (released) return;
        if (r.error) errors.push(r.error);
        else early.push(`HTTP ${r.status} ${r.body ? `${r.body.events?.length ?? "?"} events` : ""}`);
      });
    }
    await Promise.all(batch.map((p) => p.connected));
  }
  const held = await waitHeld(b, users.length, 60_000);
  await waitIdle(b);
  const openSeconds = (Date.now() - t0) / 1000;
  log(`held: ${held} of ${users.length} after ${f1(openSeconds)} s (client errors: ${errors.length}, early answers: ${early.length})`);
  await sleep(1_000);
  const after = await memory(b);
  await sleep(HOLD_S * 1000);
  const heldCpuPct = percentOfCore(procStats(b.pid).cpuSeconds - after.cpuSeconds, HOLD_S);
  const heldStill = await heldPolls(b);
  const loadNow = load();
  const liveHeld = await afterGc(b);
  log(
    `after ${HOLD_S} s holding: still held ${heldStill}, RSS ${f1(after.rssMiB)} MiB, heap used ${f1(after.heapUsedMiB)} MiB ` +
      `(after GC: heap ${f1(liveHeld.heapMiB)}, RSS ${f1(liveHeld.rssMiB)}), CPU ${f1(heldCpuPct)}% of a core, load ${loadNow}`,
  );

  // Release: the client goes away; the server's `close` listener frees each waiter.
  released = true;
  const r0 = Date.now();
  for (const p of polls) p.req.destroy();
  holder.destroy();
  const gone = await waitHeld(b, 0, 30_000);
  const releaseMs = Date.now() - r0;
  log(`released: held gauge ${gone} after ${releaseMs} ms`);
  await waitIdle(b);
  await sleep(1_000);
  const releasedMem = await memory(b);
  const liveReleased = await afterGc(b);
  return {
    live: { before: liveBefore, held: liveHeld, released: liveReleased },
    polls: users.length,
    held: heldStill,
    openSeconds,
    before,
    after,
    released: releasedMem,
    idleCpuPct,
    heldCpuPct,
    releaseMs,
    errors: tally(errors),
    early: tally(early),
    load: loadNow,
  };
}

/** The phase's lines of the summary. */
export function heldLines(h: HeldReport): string[] {
  const rssPer = ((h.after.rssMiB - h.before.rssMiB) * 1024) / h.polls;
  const heapPer = ((h.after.heapUsedMiB - h.before.heapUsedMiB) * 1024) / h.polls;
  const extPer = ((h.after.externalMiB - h.before.externalMiB) * 1024) / h.polls;
  const out = [
    `Held polls on one node (node B, REDIS_URL set, DATABASE_POOL_SIZE 20), load average ${h.load}`,
    `  polls held          ${h.held} of ${h.polls}  (opened and settled in ${f1(h.openSeconds)} s)`,
    `  client errors       ${h.errors}; answered early: ${h.early}`,
    `  RSS                 ${f1(h.before.rssMiB)} -> ${f1(h.after.rssMiB)} MiB   = ${f1(rssPer)} KiB per waiter`,
    `  V8 heap used        ${f1(h.before.heapUsedMiB)} -> ${f1(h.after.heapUsedMiB)} MiB   = ${f1(heapPer)} KiB per waiter (external ${f1(extPer)} KiB; includes garbage)`,
    `  live heap (full GC) ${f1(h.live.before.heapMiB)} -> ${f1(h.live.held.heapMiB)} MiB   = ${f1(((h.live.held.heapMiB - h.live.before.heapMiB) * 1024) / h.polls)} KiB per waiter; ${f1(h.live.released.heapMiB)} MiB after the release (growth ${f1(h.live.released.heapMiB - h.live.before.heapMiB)} MiB)`,
    `  RSS after full GC   ${f1(h.live.before.rssMiB)} -> ${f1(h.live.held.rssMiB)} MiB   = ${f1(((h.live.held.rssMiB - h.live.before.rssMiB) * 1024) / h.polls)} KiB per waiter; ${f1(h.live.released.rssMiB)} MiB after the release`,
    `  CPU idle            ${f1(h.idleCpuPct)}% of a core before; ${f1(h.heldCpuPct)}% while holding ${h.held} (over ${HOLD_S} s)`,
    `  release             gauge at 0 ${h.releaseMs} ms after the clients closed; RSS ${f1(h.released.rssMiB)} MiB, heap used ${f1(h.released.heapUsedMiB)} MiB 1 s later`,
    `  server event loop   p99 lag ${f1(h.after.lagP99Ms)} ms while holding`,
  ];
  const opening = queryDelta(h.live.before.queries, h.live.held.queries);
  const releasing = queryDelta(h.live.held.queries, h.live.released.queries);
  for (const [what, d] of [["opening + holding", opening], ["releasing", releasing]] as const) {
    out.push(`  SQL while ${what.padEnd(17)} ${d.total} statements = ${f2(d.total / h.polls)} per poll; most: ${d.top.map(([sql, n]) => `${n} x ${sql.slice(0, 70)}`).join(" | ") || "none"}`);
  }
  return out;
}
