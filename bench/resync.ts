// Resync after a reconnect, on ONE app node on real PostgreSQL: a client member of many rooms was
// offline while new messages and changes to older messages (edits, reactions, deletes) landed;
// it reconnects and catches up with `sync` ({ afterSeq, afterRev } per room, paging while
// hasMore), against the old seq-only form, which brings the new messages but none of the changes.
//   npx tsx bench/resync.ts [--rooms 200] [--history 25] [--messages 10000] [--changes 2000] [--skew 0.5]
//                           [--runs 20] [--warmup-runs 1] [--writers 10] [--in-flight 32] [--keep-db] [--max-seconds 900]
// --history: messages per room the client had seen before it went offline (the changes land on
// them: half reactions, four tenths edits, a tenth deletes, spread evenly over the rooms).
// --skew: the share of the new messages that lands in the busiest tenth of the rooms (0: uniform);
// a room with over 100 new messages takes more than one round trip (pages of PAGE_LIMIT_MAX).
// --runs: timed reconnects per form, each with a fresh socket, the two forms alternating (after
// --warmup-runs untimed ones each). Nothing changes between runs: each answers the same.
// The database chat_bench_resync (BENCH_DB_RESYNC) is created afresh and dropped at the end (--keep-db: kept).

import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startApp } from "./chat-setup.js";
import { resyncOnce, type Form, type RunResult } from "./resync-client.js";
import { seedWorld } from "./resync-seed.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { busyPercent, loadAverage, machineTicks } from "./lib/machine-load.js";
import { NodeSuite, waitUntilIdle } from "./lib/node-suite.js";
import { percentile } from "./lib/percentiles.js";
import { cpuDeltaMs, postgresCpuByPid } from "./lib/postgres-cpu.js";
import { processCpu } from "./lib/proc-stats.js";
import { fixed, tableHeader, tableRow, type Column } from "./lib/report.js";

const { values: args } = parseArgs({
  options: {
    rooms: { type: "string", default: "200" },
    history: { type: "string", default: "25" },
    messages: { type: "string", default: "10000" },
    changes: { type: "string", default: "2000" },
    skew: { type: "string", default: "0.5" },
    runs: { type: "string", default: "20" },
    "warmup-runs": { type: "string", default: "1" },
    writers: { type: "string", default: "10" },
    "in-flight": { type: "string", default: "32" },
    "keep-db": { type: "boolean", default: false },
    "max-seconds": { type: "string", default: "900" },
  },
});
const ROOMS = Number(args.rooms);
const RUNS = Number(args.runs);
const WARMUP_RUNS = Number(args["warmup-runs"]);
const MAX_S = Number(args["max-seconds"]);
const database = new BenchDatabase(process.env.BENCH_DB_RESYNC || "chat_bench_resync", adminUrlFrom("BENCH_PG_URL"));
const suite = new NodeSuite();
const started = performance.now();
const log = (s: string) => console.log(`[resync ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}`);

// The hard cap: whatever happens, the run ends and takes its children with it.
const hardStop = setTimeout(() => {
  console.error(`\nhard cap (${MAX_S} s) reached: killing children and exiting`);
  suite.killAllNow();
  process.exit(3);
}, MAX_S * 1000);
hardStop.unref();

const FORMS: Record<Form, string> = { rev: "afterSeq+afterRev", seq: "seq only (old)" };
const COLS: Column[] = [
  ["form", 17], ["runs", 4], ["trips", 5], ["p50 ms", 8], ["p99 ms", 8], ["max ms", 8], ["KiB", 8], ["new msgs", 8], ["changed", 7],
  ["dups", 5], ["missing", 7], ["errors", 6], ["srv cpu ms", 10], ["pg cpu ms", 9], ["connect", 7],
];

interface Timed extends RunResult {
  serverCpuMs: number;
  pgCpuMs: number;
}

function summaryRow(form: Form, runs: Timed[]): string {
  const sorted = (f: (r: Timed) => number) => runs.map(f).sort((a, b) => a - b);
  const ms = sorted((r) => r.ms);
  const span = (f: (r: Timed) => number) => {
    const v = sorted(f);
    return v[0] === v.at(-1) ? String(v[0]) : `${v[0]}-${v.at(-1)}`;
  };
  const median = (f: (r: Timed) => number) => percentile(sorted(f), 50);
  return tableRow(COLS, [
    FORMS[form], String(runs.length), span((r) => r.roundTrips), fixed(percentile(ms, 50), 1), fixed(percentile(ms, 99), 1), fixed(ms.at(-1)!, 1),
    fixed(median((r) => r.bytes) / 1024, 0), span((r) => r.newMessages), span((r) => r.changedMessages), span((r) => r.duplicates),
    span((r) => r.missing), span((r) => r.roomErrors), fixed(median((r) => r.serverCpuMs), 0), fixed(median((r) => r.pgCpuMs), 0),
    fixed(median((r) => r.connectMs), 1),
  ]);
}

async function timedRun(url: string, pid: number, world: Awaited<ReturnType<typeof seedWorld>>, form: Form): Promise<Timed> {
  const s0 = processCpu(pid);
  const p0 = postgresCpuByPid(database.name);
  const r = await resyncOnce(url, world, form);
  const s1 = processCpu(pid);
  return { ...r, serverCpuMs: s0 && s1 ? s1.cpuMs - s0.cpuMs : NaN, pgCpuMs: cpuDeltaMs(p0, postgresCpuByPid(database.name)) };
}

async function main() {
  console.log(
    `resync bench: ${ROOMS} rooms, ${args.history} seen messages per room, then offline ${args.messages} new messages (skew ${args.skew}) and ` +
      `${args.changes} changes; ${RUNS} timed reconnects per form (+${WARMUP_RUNS} warm-up); load average ${loadAverage()}`,
  );
  await database.ensure(true);
  try {
    const server = await startApp(suite, { db: database });
    log(`app node pid ${server.pid} ready at ${server.url}`);
    const world = await seedWorld(
      server.url, database,
      {
        rooms: ROOMS, history: Number(args.history), messages: Number(args.messages), changes: Number(args.changes), skew: Number(args.skew),
        writers: Number(args.writers), inFlight: Number(args["in-flight"]),
      },
      log,
    );
    const errs = Object.entries(world.errors);
    log(
      `changes landed: ${world.changes.reaction} reactions, ${world.changes.edit} edits, ${world.changes.delete} deletes; new messages per room ` +
        `${world.newPerRoom.min}-${world.newPerRoom.max}; seeding errors: ${errs.length ? errs.map(([k, n]) => `${n} x ${k}`).join(", ") : "none"}`,
    );
    await waitUntilIdle(`${server.url}/healthz`, 20);
    const runs: Record<Form, Timed[]> = { rev: [], seq: [] };
    for (let i = 0; i < WARMUP_RUNS; i++) for (const form of ["rev", "seq"] as const) await resyncOnce(server.url, world, form);
    const m0 = machineTicks();
    for (let i = 0; i < RUNS; i++) {
      for (const form of i % 2 ? (["seq", "rev"] as const) : (["rev", "seq"] as const)) runs[form].push(await timedRun(server.url, server.pid, world, form));
    }
    const busy = busyPercent(m0, machineTicks());
    const code = await server.stop();
    if (server.problems.length) {
      console.log(`[app] ${server.problems.length} warn/error log lines from the server; first ones:`);
      for (const p of server.problems.slice(0, 5)) console.log(`  ${p}`);
    }
    if (code !== 0) console.log(`[app] exited with ${code}`);

    const expectedChanged = [...world.expectedChanged.values()].reduce((a, s) => a + s.size, 0);
    const expectedNew = [...world.expectedNew.values()].reduce((a, n) => a + n, 0);
    console.log(`\nOne reconnect: ${ROOMS} rooms, ${expectedNew} new messages and ${expectedChanged} changed older messages to catch up with`);
    console.log(tableHeader(COLS));
    for (const form of ["rev", "seq"] as const) console.log(summaryRow(form, runs[form]));
    console.log(
      [
        "trips: sync calls until no room has more; p50/p99/max: first emit to last ack (ms; connect is apart, its median in",
        "`connect`); KiB: the acks' JSON, median; new msgs / changed: distinct new and changed older messages received;",
        "dups: messages received twice; missing: expected but not received (seq only: the changes it cannot see are not",
        "counted here, see `changed`); errors: rooms answered with an error or never finished; srv / pg cpu ms: the node's",
        "and PostgreSQL's CPU per reconnect, median. Ranges are min-max over the runs.",
      ].join("\n"),
    );
    console.log(`machine busy during the timed runs: ${busy.toFixed(0)}% of all cores${busy >= 20 ? "  (WARNING: others were running; times are high)" : ""}`);
  } finally {
    await suite.stopAll();
    if (!args["keep-db"]) await database.drop().catch((err: unknown) => console.error(`dropping ${database.name}:`, err));
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    suite.killAllNow();
    process.exit(1);
  },
);
