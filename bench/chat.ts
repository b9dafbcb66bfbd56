// Socket.IO chat throughput/latency: ONE app node on real PostgreSQL vs a bare Socket.IO server,
// driven by the same generator (socket.io-client in worker threads) on the same machine.
//   npx tsx bench/chat.ts [--scenario rooms|hot|mixed|both|all|rooms,mixed] [--rate N[,N…]] [--duration S] [--warmup S]
//                         [--bare-only | --ours-only] [--profile] [--workers 2] [--max-seconds 300]
//                         [--pool N] [--keep-db] [--wait-idle S] [--count-queries]
// --profile: the app child runs with --cpu-prof; the self-time summary of the measured windows is
// printed at the end. --count-queries: statements per message (bench/pg-query-counter.mjs).
// rooms: 100 group rooms x 10 members (1,000 sockets), every member sends. hot: one room of 50
// members, all send. mixed: the rooms layout, but conversation traffic (bench/chat-mixed.ts): 80%
// message:send (a tenth replies, a tenth with a mention), 15% reaction:add, 5% message:edit; its goal
// is to stay within 15% of rooms at the same rate, so run the two together (--scenario rooms,mixed;
// both = rooms,hot; all = rooms,hot,mixed). Rates are total events per second (message:send but in
// mixed), spread evenly over the senders.
// Without --rate, each target steps up the default ladder until a step saturates.
// The bench database chat_bench_socket (BENCH_DB) is dropped and recreated each run (--keep-db: reuse).

import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { database, seed, startApp, startBare, type Seeded } from "./chat-setup.js";
import { Workers } from "./chat-generator.js";
import {
  ackP99, combine, errorsOf, header, LEGEND, line, MIXED_TOLERANCE, mixedVsRoomsLines, mixLines, sample, slowSlotsLine, storedCounter, usage, type Row,
} from "./chat-report.js";
import type { Member, StepResult, WorkerReply } from "./chat-worker.js";
import { phaseLines, scrapeHistograms } from "./chat-phases.js";
import { summarize } from "./chat-profile.js";
import { dbCounters, dbLine, queryLines, querySnapshot } from "./chat-pgstats.js";
import { busyPercent, machineTicks } from "./lib/machine-load.js";
import { NodeSuite, type HttpNode } from "./lib/node-suite.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
type Scenario = "rooms" | "hot" | "mixed";
const scenarioArg = opt("scenario", "both");
const SCENARIOS = (scenarioArg === "both" ? ["rooms", "hot"] : scenarioArg === "all" ? ["rooms", "hot", "mixed"] : scenarioArg.split(",")) as Scenario[];
if (!SCENARIOS.every((s) => s === "rooms" || s === "hot" || s === "mixed")) throw new Error(`--scenario rooms|hot|mixed|both|all or a list, not ${scenarioArg}`);
const RATES = opt("rate", "") ? opt("rate", "").split(",").map(Number) : null;
const LADDER = { rooms: [1000, 2500, 5000, 7500, 10000], hot: [250, 500, 1000, 2000, 3000], mixed: [1000, 2500, 5000, 7500, 10000] };
const DURATION_S = Number(opt("duration", "20"));
const WARMUP_S = Number(opt("warmup", "5"));
const WORKERS = Number(opt("workers", "2"));
const MAX_S = Number(opt("max-seconds", "300"));
const POOL = opt("pool", "") ? Number(opt("pool", "")) : undefined;
const ACK_TIMEOUT_MS = 5_000;
const TARGETS = flag("bare-only") ? ["bare"] : flag("ours-only") ? ["ours"] : ["ours", "bare"];
const PROFILE = flag("profile");
const WAIT_IDLE_S = Number(opt("wait-idle", "0"));
const COUNT_QUERIES = flag("count-queries");
const COUNTS_FILE = path.join(tmpdir(), `chat-sockbench-queries-${process.pid}.json`);

const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const suite = new NodeSuite();
const DB = database.name;

// The hard cap: whatever happens, the run ends and takes its children with it.
const hardStop = setTimeout(() => {
  console.error(`\nhard cap (${MAX_S + 30} s) reached: killing children and exiting`);
  suite.killAllNow();
  process.exit(3);
}, (MAX_S + 30) * 1000);
hardStop.unref();

function membersOf(scenario: Scenario, s: Seeded): Member[] {
  const groups = scenario === "hot" ? [s.hot] : s.rooms;
  return groups.flatMap((g) => {
    const ids = g.members.map((u) => s.users[u]!.id);
    return g.members.map((u) => ({
      token: s.users[u]!.token, roomId: g.id, send: true, roomSize: g.members.length,
      ...(scenario === "mixed" ? { userId: s.users[u]!.id, roomMemberIds: ids } : {}),
    }));
  });
}

/** For --bare-only: the same shapes with made-up ids (the bare server checks nothing). */
function fakeSeed(): Seeded {
  const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  return {
    users: Array.from({ length: 1000 }, (_, i) => ({ id: id(i), token: "x" })),
    rooms: Array.from({ length: 100 }, (_, r) => ({ id: id(10_000 + r), members: Array.from({ length: 10 }, (_, k) => r * 10 + k) })),
    hot: { id: id(20_000), members: Array.from({ length: 50 }, (_, k) => k) },
  };
}

const rows: Row[] = [];
const profileWindows: [number, number][] = [];
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

async function runScenario(workers: Workers, target: string, server: HttpNode, scenario: Scenario, seeded: Seeded) {
  const members = membersOf(scenario, seeded);
  const t0 = performance.now();
  const connected = await workers.ask<Extract<WorkerReply, { type: "connected" }>>((i) => ({
    cmd: "connect", url: server.url, members: members.filter((_, k) => k % WORKERS === i), concurrency: 25,
  }));
  const failed = connected.reduce((a, c) => a + c.failed, 0);
  const sockets = connected.reduce((a, c) => a + c.sockets, 0);
  console.log(`[${target}/${scenario}] ${sockets} sockets connected and joined in ${((performance.now() - t0) / 1000).toFixed(1)} s${failed ? `, ${failed} FAILED (${connected.find((c) => c.firstError)?.firstError})` : ""}`);
  if (failed > members.length / 100) throw new Error("too many sockets failed to connect");
  const senders = members.filter((m) => m.send).length;
  const ladder = RATES ?? LADDER[scenario];
  const stepS = WARMUP_S + DURATION_S + 3;
  console.log(header());
  // Up the ladder until a step saturates; if the very first one does, halve down to find a rate that holds.
  const queue = [...ladder];
  let passedOne = false;
  for (let rate = queue.shift(); rate !== undefined; rate = queue.shift()) {
    if (elapsedS() + stepS > MAX_S) {
      console.log(`${target.padStart(6)} ${scenario.padStart(8)} ${String(rate).padStart(9)}  skipped: the ${MAX_S} s time cap (--max-seconds) would be passed`);
      continue;
    }
    if (WAIT_IDLE_S) await waitIdle(`${target}/${scenario} ${rate}/s`, true);
    const row = await runStep(workers, target, server, scenario, rate, senders);
    const r = row.r;
    const saturated = r.acksDuringWindow < 0.9 * rate * DURATION_S || ackP99(r) > 1000 || errorsOf(r) > 0.01 * r.sentInWindow;
    if (saturated && !RATES) {
      const down = Math.round(rate / 2);
      if (!passedOne && down >= ladder[0]! / 8) {
        console.log(`${"".padStart(16)}saturated at ${rate}/s; trying ${down}/s`);
        queue.splice(0, queue.length, down);
      } else {
        console.log(`${"".padStart(16)}saturated at ${rate}/s; higher steps skipped`);
        break;
      }
    }
    passedOne ||= !saturated;
    await quiet(server.pid);
  }
  await workers.ask({ cmd: "close" });
}

async function runStep(workers: Workers, target: string, server: HttpNode, scenario: string, rate: number, senders: number): Promise<Row> {
  const startAt = now() + 300;
  const spec = { ratePerSender: rate / senders, startAt, warmupMs: WARMUP_S * 1000, measureMs: DURATION_S * 1000, ackTimeoutMs: ACK_TIMEOUT_MS };
  workers.tell({ cmd: "step", spec: { ...spec, ...(scenario === "mixed" ? { mix: true } : {}) } });
  const drained = workers.expect();
  await sleep(startAt + WARMUP_S * 1000 - now());
  const s0 = sample(server.pid, DB);
  const w0 = monoUs();
  const ours = target === "ours";
  const [db0, q0, m0, h0] = ours
    ? await Promise.all([dbCounters(database.url, DB), COUNT_QUERIES ? querySnapshot(server, COUNTS_FILE) : null, storedCounter(server.url), scrapeHistograms(server.url)])
    : [null, null, null, null];
  await sleep(startAt + (WARMUP_S + DURATION_S) * 1000 - now());
  const s1 = sample(server.pid, DB);
  if (ours) profileWindows.push([w0, monoUs()]);
  const [db1, q1, m1, h1] = ours
    ? await Promise.all([dbCounters(database.url, DB), COUNT_QUERIES ? querySnapshot(server, COUNTS_FILE) : null, storedCounter(server.url), scrapeHistograms(server.url)])
    : [null, null, null, null];
  await drained;
  await sleep(300);
  const results = await workers.ask<Extract<WorkerReply, { type: "result" }>>({ cmd: "collect" });
  const r: StepResult = combine(results.map((x) => x.result));
  const stored = m0 !== null && m1 !== null ? m1 - m0 : null;
  const row: Row = { target, scenario, offered: rate, seconds: DURATION_S, r, u: usage(s0, s1), stored };
  rows.push(row);
  console.log(line(row));
  for (const l of mixLines(row)) console.log(l);
  const pgInfo = dbLine(db0, db1, DURATION_S, stored ?? r.sentInWindow);
  if (pgInfo) console.log(`${"".padStart(16)}${pgInfo}; server sys time ${row.u.serverSys.toFixed(0)}% of a core`);
  // The window's wall-clock start, to line slow slots up with logs of other processes.
  console.log(`${"".padStart(16)}${slowSlotsLine(r)}; window from ${new Date(startAt + WARMUP_S * 1000).toISOString()}`);
  if (COUNT_QUERIES && ours) console.log(queryLines(q0, q1, stored ?? r.sentInWindow));
  if (h0 && h1) for (const l of phaseLines(h0, h1)) console.log(`${"".padStart(16)}${l}`);
  return row;
}

/** Between steps: let a server that fell behind finish its backlog (CPU under 15% of a core, at most 20 s). */
async function quiet(pid: number) {
  await sleep(1000);
  for (let i = 0; i < 20; i++) {
    const a = sample(pid, DB);
    await sleep(1000);
    if (usage(a, sample(pid, DB)).serverCpu < 15) return;
  }
}

async function runTarget(workers: Workers, target: string) {
  let server: HttpNode;
  let seeded: Seeded;
  const profileDir = PROFILE && target === "ours" ? path.join(tmpdir(), "chat-sockbench-profiles", new Date().toISOString().replace(/[:.]/g, "-")) : undefined;
  if (target === "ours") {
    await database.ensure(!flag("keep-db"));
    const t0 = performance.now();
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    server = await startApp(suite, { ...(profileDir ? { profileDir } : {}), ...(POOL ? { poolSize: POOL } : {}), ...(COUNT_QUERIES ? { queryCountsFile: COUNTS_FILE } : {}) });
    console.log(`[ours] app node pid ${server.pid} ready at ${server.url} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    server = await startBare(suite);
    console.log(`[bare] bare Socket.IO server pid ${server.pid} at ${server.url}`);
  }
  try {
    if (target === "ours") {
      const t1 = performance.now();
      seeded = await seed(server.url, 100, 10, 50);
      console.log(`[ours] seeded ${seeded.users.length} users, ${seeded.rooms.length} rooms of 10 and a hot room of ${seeded.hot.members.length} in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    } else {
      seeded = fakeSeed();
    }
    for (const scenario of SCENARIOS) await runScenario(workers, target, server, scenario, seeded);
  } finally {
    const code = await server.stop();
    if (server.problems.length) {
      console.log(`[${target}] ${server.problems.length} warn/error log lines from the server; first ones:`);
      for (const p of server.problems.slice(0, 5)) console.log(`  ${p}`);
    }
    if (code !== 0) console.log(`[${target}] server exited with ${code}`);
  }
  if (profileDir) {
    const files = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
    if (!files.length) console.log(`[ours] no .cpuprofile written in ${profileDir}`);
    // One file per thread; the main thread's is the biggest (the other is tsx's idle loader thread).
    const main = files.map((f) => path.join(profileDir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
    if (main) console.log(`\n${summarize(main, profileWindows)}\n(full profile: ${main}; callers of a function: npx tsx bench/chat-profile.ts <file> --callers <name>)`);
  }
}

function verdict() {
  const shared = rows.filter((r) => r.u.other > 30);
  if (shared.length) {
    console.log(`\nWARNING: in ${shared.length} of ${rows.length} steps other processes used over 30% of a core (column "other"): those figures understate us.`);
  }
  console.log("\nSummary: highest offered rate with p99 ack < 50 ms, zero errors, acked/s >= 95% of offered");
  for (const scenario of SCENARIOS) {
    for (const target of TARGETS) {
      const ok = rows.filter((r) => r.target === target && r.scenario === scenario && ackP99(r.r) < 50 && errorsOf(r.r) === 0 && r.r.acksDuringWindow >= 0.95 * r.offered * r.seconds);
      const best = ok.length ? Math.max(...ok.map((r) => r.offered)) : null;
      const goals = { rooms: "  (goal: 5000/s)", hot: "  (goal: 1000/s)", mixed: "  (goal: see below)" };
      const goal = target === "ours" ? goals[scenario] : "";
      console.log(`  ${target.padEnd(5)} ${scenario.padEnd(6)} ${best === null ? "none of the steps" : `${best}/s`}${goal}`);
    }
  }
  if (SCENARIOS.includes("mixed")) {
    const pct = MIXED_TOLERANCE * 100;
    console.log(`\nMixed vs rooms at the same offered rate (goal: mixed acked events/s >= ${100 - pct}% of rooms', ack p99 <= ${100 + pct}% of rooms', zero errors)`);
    const lines = mixedVsRoomsLines(rows, TARGETS);
    console.log(lines.length ? lines.join("\n") : "  no mixed steps ran");
  }
}

/**
 * The machine is shared: before a target, wait (up to --wait-idle seconds) for it to be quiet, and
 * say how busy it was; others' tests and builds skew every figure (see the "other" column).
 */
async function waitIdle(what: string, quietUnlessBusy = false) {
  const deadline = performance.now() + WAIT_IDLE_S * 1000;
  for (;;) {
    const m0 = machineTicks();
    await sleep(quietUnlessBusy ? 1000 : 2000);
    const busy = busyPercent(m0, machineTicks());
    if (busy < 20 || performance.now() >= deadline) {
      if (!quietUnlessBusy || busy >= 20) {
        console.log(`[${what}] machine busy before start: ${busy.toFixed(0)}% of all cores${busy >= 20 ? "  (WARNING: something else is running; figures will be low)" : ""}`);
      }
      return;
    }
  }
}

async function main() {
  console.log(`chat bench: scenarios ${SCENARIOS.join("+")}, targets ${TARGETS.join("+")}, warm-up ${WARMUP_S} s, measure ${DURATION_S} s per step, ${WORKERS} generator threads, cap ${MAX_S} s`);
  // The generator threads start after the first idle check: their start-up (transpiling and
  // loading socket.io-client) alone read as "36 % busy" and a false warning on every run.
  let workers: Workers | undefined;
  try {
    for (const target of TARGETS) {
      await waitIdle(target);
      workers ??= new Workers(WORKERS);
      await runTarget(workers, target);
    }
  } finally {
    await workers?.terminate();
    await suite.stopAll();
    rmSync(COUNTS_FILE, { force: true });
  }
  console.log(`\n${LEGEND}`);
  console.log("\nAll rows:");
  console.log(header());
  for (const r of rows) console.log(line(r));
  verdict();
  console.log(`\ntotal ${elapsedS().toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    suite.killAllNow();
    process.exit(1);
  },
);
