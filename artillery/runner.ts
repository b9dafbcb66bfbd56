// Scale-out load tests on this machine: starts N app nodes, Redis and HAProxy (cookie-sticky
// sessions), all on 127.0.0.1, seeds the virtual users, runs one scenario through HAProxy, stops
// everything it started and prints peak concurrent connections, errors, delivered messages/s,
// end-to-end delivery latency p50/p95/p99, and CPU and memory of each node. With --baseline the
// same scenario then runs against a bare Socket.IO server (bench/bare-server.ts) behind the same
// HAProxy, and the summary states our throughput as a ratio of it.
//
//   npm run loadtest -- --scenario chat|connections|feed|friends --nodes 1|2 [--tool artillery|lean]
//                       [--baseline] [--duration S] [--warmup S] [--rate N[,N...]] [--connections N]
//                       [--room-size N] [--max-seconds S] [--profile] [--keep-db]
//   npm run loadtest -- --nodes 4 --redis single|cluster|both [--rate N] [--connections N]
//                       classic adapter on one Redis against sharded pub/sub on a local Redis Cluster,
//                       rooms placed so each node serves its share: CPU per delivered message per node,
//                       and Redis CPU per message (docs/scaling.md)
//   npm run loadtest -- --help        every option
//
// Prerequisites: PostgreSQL reachable at LOADTEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres;
// the database chat_loadtest is dropped and re-created), and the Debian packages haproxy and
// redis-server (installed here with apt-get when missing and running as root). artillery/ is its own
// npm package, installed from its lockfile on the first run that uses it.

import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { summarize } from "../bench/chat-profile.js";
import { countersLike, runArtillery, type ArtilleryReport } from "./lib/artillery-run.js";
import { chatMembers, latencyOf, leanChat, leanFeed, leanFriends, memory, perSocket, Producer, type RunCtx } from "./lib/lean.js";
import { busyPercent, loadAverage, machineTicks } from "../bench/lib/machine-load.js";
import { Monitor } from "./lib/monitor.js";
import { clean, detail, header, LEGEND, line, meetsLatency, type Latency, type Scenario, type StepReport, type Tool } from "./lib/report.js";
import { checkThroughBalancer, fakeSeed, seed, type Seeded } from "./lib/seed.js";
import { startRedisCluster, type LocalRedisCluster } from "../test/helpers/redis-cluster.js";
import {
  database, dbName, ensureArtillery, haproxySummary, ensureDebian, ensureDir, ensurePrismaClient, killAllNow, log,
  reexecWithFdLimit, fdLimits, root, sleep, startBare, startHaproxy, startNodes, startRedis, stopAll, type Backend,
} from "./lib/stack.js";

const HELP = `npm run loadtest -- [options]

  --scenario S        chat (default): users in rooms send at --rate with a read receipt before each
                      send and receive every message of their room;
                      connections: --connections authenticated sockets held for --duration with a
                      light chat load (--rate) to prove they are alive; memory per socket;
                      feed: every user holds a long-poll on GET /api/events while messages are posted
                      at --rate; friends: GET /api/friends at --rate (or flat out)
  --nodes N           app nodes behind HAProxy (default 1)
  --tool T            artillery (default for chat, feed, friends) or lean (default for connections):
                      socket.io-client in worker threads (bench/chat-worker.ts) for chat and
                      connections, node:http pollers for feed, autocannon for friends
  --baseline          chat and connections: afterwards the same scenario against the bare Socket.IO
                      server behind the same HAProxy, and the ratio
  --rate R[,R...]     chat: total message:send per second, one step each (lean default: a ladder
                      500,1000,2000,3000,4000,6000,8000 that stops after the first step missing the goal;
                      artillery default 200); connections: messages/s during the hold (default
                      connections/100); feed: messages posted per second (default 100); friends:
                      requests/s (default: flat out with lean, 200 with artillery)
  --connections N     chat: users (default 1000); connections: sockets (default 20000); feed: pollers
                      (default 2000); friends: HTTP connections / virtual users (default 100)
  --room-size N       members per room (default 10)
  --users N           friends: seeded users whose friend lists are requested (default 1000)
  --friends N         friends: friends per user (default 100)
  --duration S        measured window per step (default 20; connections 30)
  --warmup S          unmeasured load before each window (default 5)
  --poll-timeout S    feed: the poll's timeout parameter (default 25)
  --arrival-rate N    artillery: virtual users started per second (default 100)
  --workers N         lean: generator processes, one socket.io-client thread each (default 2; more
                      when the sockets would not fit the open-file limit of one process)
  --connect-concurrency N   lean: connects in flight per generator process (default 25)
  --p99-goal MS       the latency goal a chat step must meet to count (default 200)
  --max-seconds S     cap on the whole run (default 900); steps that would pass it are skipped, and
                      at S + 60 everything is killed
  --profile           the app nodes run with --cpu-prof; a self-time summary of the measured windows
                      is printed per node
  --no-receipts       chat: no receipt:read with each send (isolates the cost of receipts)
  --keep-db           keep the database ${dbName} afterwards (default: dropped)
  --redis M           single (one Redis, the classic adapter), cluster (a local Redis Cluster of 3
                      masters + 3 replicas, sharded pub/sub) or both, one after the other at the same
                      load (chat, lean tool). Given, each room's members connect straight to one node
                      (room i to node i mod N), so each node serves 1/N of the rooms, plus one node
                      that serves none; the summary gives each node's CPU per message it delivered,
                      the idle node's CPU per message sent (the cost of other nodes' rooms) and
                      Redis CPU per message sent
`;

const { values: a } = parseArgs({
  options: {
    scenario: { type: "string", default: "chat" },
    nodes: { type: "string", default: "1" },
    tool: { type: "string" },
    baseline: { type: "boolean", default: false },
    rate: { type: "string" },
    connections: { type: "string" },
    "room-size": { type: "string", default: "10" },
    users: { type: "string", default: "1000" },
    friends: { type: "string", default: "100" },
    duration: { type: "string" },
    warmup: { type: "string", default: "5" },
    "poll-timeout": { type: "string", default: "25" },
    "arrival-rate": { type: "string", default: "100" },
    workers: { type: "string", default: "2" },
    "connect-concurrency": { type: "string", default: "25" },
    "p99-goal": { type: "string", default: "200" },
    "max-seconds": { type: "string", default: "900" },
    profile: { type: "boolean", default: false },
    "keep-db": { type: "boolean", default: false },
    "no-receipts": { type: "boolean", default: false },
    redis: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (a.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const SCENARIO = a.scenario as Scenario;
if (!["chat", "connections", "feed", "friends"].includes(SCENARIO)) throw new Error(`--scenario chat|connections|feed|friends, not ${a.scenario}`);
// --redis places rooms on nodes, which only the lean generator can (a node's own URL per member).
const TOOL: "artillery" | "lean" = (a.tool as "artillery" | "lean" | undefined) ?? (SCENARIO === "connections" || a.redis ? "lean" : "artillery");
type RedisMode = "single" | "cluster";
const REDIS_MODES: RedisMode[] = !a.redis ? ["single"] : a.redis === "both" ? ["single", "cluster"] : [a.redis as RedisMode];
if (!REDIS_MODES.every((m) => m === "single" || m === "cluster")) throw new Error(`--redis single|cluster|both, not ${a.redis}`);
if (a.redis && (SCENARIO !== "chat" || TOOL !== "lean")) throw new Error("--redis compares the chat scenario with the lean tool (rooms placed on nodes)");
const PLACED = Boolean(a.redis);
if (TOOL !== "artillery" && TOOL !== "lean") throw new Error(`--tool artillery|lean, not ${a.tool}`);
const int = (v: string | undefined, name: string, min = 0) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, not ${v}`);
  return n;
};
const NODES = int(a.nodes, "nodes", 1);
const CONNECTIONS = int(a.connections ?? { chat: "1000", connections: "20000", feed: "2000", friends: "100" }[SCENARIO], "connections", 1);
const ROOM_SIZE = int(a["room-size"], "room-size", 1);
const DURATION_S = int(a.duration ?? (SCENARIO === "connections" ? "30" : "20"), "duration", 1);
const WARMUP_S = int(a.warmup, "warmup");
const MAX_S = int(a["max-seconds"], "max-seconds", 10);
const P99_GOAL = int(a["p99-goal"], "p99-goal", 1);
const ARRIVAL = int(a["arrival-rate"], "arrival-rate", 1);
const BASELINE = a.baseline && (SCENARIO === "chat" || SCENARIO === "connections");
const LADDER = !a.rate && SCENARIO === "chat" && TOOL === "lean";
const RATES: number[] = a.rate
  ? a.rate.split(",").map((r) => int(r, "rate"))
  : SCENARIO === "chat"
    ? TOOL === "lean" ? [500, 1000, 2000, 3000, 4000, 6000, 8000] : [200]
    : SCENARIO === "connections"
      ? [Math.ceil(CONNECTIONS / 100)]
      : SCENARIO === "feed" ? [100] : [TOOL === "lean" ? 0 : 200];
const ACK_TIMEOUT_MS = 5_000;

const started = Date.now();
const deadline = started + MAX_S * 1000;
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const runDir = ensureDir(path.join(root, ".tmp", "loadtest", `${stamp}-${SCENARIO}-${NODES}n-${TOOL}${a.redis ? `-redis-${a.redis}` : ""}`));
const reports: StepReport[] = [];
/** --redis: each mode's steps, with the Redis processes whose CPU counts. */
const redisRuns: { mode: RedisMode; redisProcs: string[]; reports: StepReport[] }[] = [];
const profileWindows: [number, number][] = []; // epoch ms, measured windows of our nodes

// ------------------------------------------------------------------ scenario runs

function latencyFrom(s: ArtilleryReport["summaries"][string] | undefined): Latency {
  return s ? { p50: s.p50 ?? s.median, p95: s.p95, p99: s.p99, max: s.max, count: s.count } : { p50: NaN, p95: NaN, p99: NaN, max: NaN, count: 0 };
}
const sumCounters = (c: Record<string, number>, prefix: string) => Object.entries(c).filter(([k]) => k.startsWith(prefix)).reduce((x, [, v]) => x + v, 0);

/** Artillery: one run per rate (the users connect, join, send through the window, leave). */
async function artilleryChat(ctx: RunCtx, seeded: Seeded, backends: Backend[]): Promise<StepReport[]> {
  const members = chatMembers(seeded);
  const out: StepReport[] = [];
  for (const rate of RATES) {
    const ramp = Math.max(1, Math.ceil(members.length / ARRIVAL));
    const bootS = 10;
    const sendFrom = Date.now() + (bootS + ramp + 3) * 1000;
    const measureFrom = sendFrom + WARMUP_S * 1000;
    const measureTo = measureFrom + DURATION_S * 1000;
    const leaveAt = measureTo + 5_000;
    if (leaveAt + 15_000 > deadline) {
      log(`[${ctx.target}] step ${rate}/s skipped: the run's time cap (--max-seconds) would be passed`);
      continue;
    }
    const mem0 = SCENARIO === "connections" ? await memory(ctx, 0) : undefined;
    // Everyone has connected by sendFrom: memory then (after a full GC in each node), while Artillery runs.
    const memAt = mem0 ? sleep(sendFrom - Date.now()).then(() => memory(ctx, members.length)) : undefined;
    log(`[${ctx.target}] artillery: ${members.length} users arriving over ${ramp} s, ${rate} msgs/s from ${new Date(sendFrom).toISOString().slice(11, 19)}, window ${DURATION_S} s`);
    const rep = await runArtillery({
      dir: ensureDir(path.join(runDir, `${ctx.target}-${SCENARIO}-${rate}`)),
      scenario: "chat", target: ctx.url, fields: ["token", "roomId", "roomSize"],
      rows: members.map((m) => [m.token, m.roomId, m.roomSize]),
      phases: [{ name: "connect", duration: ramp, arrivalCount: members.length }],
      env: {
        LOADTEST_SEND_FROM: String(sendFrom), LOADTEST_MEASURE_FROM: String(measureFrom), LOADTEST_MEASURE_TO: String(measureTo),
        LOADTEST_LEAVE_AT: String(leaveAt), LOADTEST_RATE_PER_USER: String(rate / members.length),
        LOADTEST_ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS), LOADTEST_RECEIPTS: a["no-receipts"] ? "0" : "1",
      },
      endsBy: leaveAt + 10_000, monitor: ctx.monitor,
    });
    const c = rep.counters;
    const joined = c["chat.joined"] ?? 0;
    const expected = c["chat.expected"] ?? 0;
    const delivered = c["chat.delivered"] ?? 0;
    const errorDetail = [
      ...countersLike(c, "errors."), ...countersLike(c, "chat.ack_failed"), ...countersLike(c, "chat.ack_timeout"),
      ...countersLike(c, "chat.receipts_failed"), ...countersLike(c, "chat.disconnected"),
    ];
    const notes = [`artillery log and report: ${path.relative(root, path.dirname(rep.logFile))}`];
    if (c["chat.joined_late"]) notes.push(`${c["chat.joined_late"]} users joined after sending had started (artillery was slow to start them): their rooms miss messages`);
    if (c["chat.skipped"]) notes.push(`artillery fell behind its schedule and skipped ${c["chat.skipped"]} sends (generator-bound)`);
    const perSocketKb = mem0 && memAt ? perSocket(mem0, await memAt) : undefined;
    if (perSocketKb) notes.push("memory per socket: growth after a full GC from before connecting to all connected, over the sockets (Artillery's own sockets count: it reports no per-node gauge for the bare server)");
    const r: StepReport = {
      target: ctx.target, tool: "artillery", scenario: SCENARIO, nodes: ctx.nodes, offered: rate, seconds: DURATION_S,
      users: members.length, connected: joined, connectFailed: members.length - joined,
      sentPerS: (c["chat.sent"] ?? 0) / DURATION_S, okPerS: (c["chat.acked"] ?? 0) / DURATION_S, deliveredPerS: delivered / DURATION_S,
      expected, delivered, missing: Math.max(0, expected - delivered),
      errors: sumCounters(c, "errors.") + sumCounters(c, "chat.ack_failed") + (c["chat.ack_timeout"] ?? 0) + (c["chat.receipts_failed"] ?? 0) + sumCounters(c, "chat.disconnected"),
      errorDetail, latencyOf: "send time in the message -> message:new at each member socket (sender echo included)",
      latency: latencyFrom(rep.summaries["chat.delivery_ms"]), ackLatency: latencyFrom(rep.summaries["chat.ack_ms"]),
      receipts: { ok: c["chat.receipts_ok"] ?? 0, failed: c["chat.receipts_failed"] ?? 0, updates: c["chat.receipt_updates"] ?? 0 },
      window: ctx.monitor.window(measureFrom, measureTo), ...(perSocketKb ? { perSocketKb } : {}), notes,
    };
    if (ctx.target === "ours") profileWindows.push([measureFrom, measureTo]);
    out.push(r);
    printStep(r);
    if (LADDER && !meetsLatency(r, P99_GOAL)) break;
    await sleep(2_000);
  }
  return out;
}

async function artilleryFeed(ctx: RunCtx, seeded: Seeded): Promise<StepReport> {
  const users = seeded.users;
  const rate = RATES[0]!;
  const ramp = Math.max(1, Math.ceil(users.length / ARRIVAL));
  const sendFrom = Date.now() + (10 + ramp + 3) * 1000;
  const measureFrom = sendFrom + WARMUP_S * 1000;
  const measureTo = measureFrom + DURATION_S * 1000;
  const leaveAt = measureTo + 3_000;
  log(`[${ctx.target}] artillery: ${users.length} pollers arriving over ${ramp} s; the runner posts ${rate} msgs/s from ${new Date(sendFrom).toISOString().slice(11, 19)}`);
  const win = { from: measureFrom, to: measureTo };
  const producer = new Producer(ctx.url, seeded, rate, win);
  const producing = sleep(sendFrom - Date.now()).then(() => producer.run(measureTo));
  const rep = await runArtillery({
    dir: ensureDir(path.join(runDir, `${ctx.target}-feed-${rate}`)),
    scenario: "feed", target: ctx.url, fields: ["token"], rows: users.map((u) => [u.token]),
    phases: [{ name: "connect", duration: ramp, arrivalCount: users.length }],
    env: {
      LOADTEST_SEND_FROM: String(sendFrom), LOADTEST_MEASURE_FROM: String(measureFrom), LOADTEST_MEASURE_TO: String(measureTo),
      LOADTEST_LEAVE_AT: String(leaveAt), LOADTEST_POLL_TIMEOUT_S: String(int(a["poll-timeout"], "poll-timeout", 1)),
    },
    endsBy: leaveAt + 30_000, monitor: ctx.monitor,
  });
  await producing;
  const c = rep.counters;
  const started_ = c["feed.pollers_started"] ?? 0;
  const errorDetail = [...countersLike(c, "errors."), ...countersLike(c, "feed.failed"), ...countersLike(c, "feed.bad_body")];
  for (const [k, v] of producer.errors) errorDetail.push(`${v} x POST message ${k}`);
  const notes = [`artillery log and report: ${path.relative(root, path.dirname(rep.logFile))}`, `${c["feed.polls"] ?? 0} chained poll responses`];
  if (c["feed.gone"]) notes.push(`${c["feed.gone"]} polls answered 410 and restarted`);
  profileWindows.push([measureFrom, measureTo]);
  const r: StepReport = {
    target: ctx.target, tool: "artillery", scenario: "feed", nodes: ctx.nodes, offered: rate, seconds: DURATION_S,
    users: users.length, connected: started_, connectFailed: users.length - started_,
    sentPerS: producer.sent / DURATION_S, okPerS: producer.ok / DURATION_S, deliveredPerS: (c["feed.delivered"] ?? 0) / DURATION_S,
    missing: 0,
    errors: sumCounters(c, "errors.") + sumCounters(c, "feed.failed") + (c["feed.bad_body"] ?? 0) + [...producer.errors.values()].reduce((x, y) => x + y, 0),
    errorDetail, latencyOf: "send time in the message -> poll response carrying it (room.updated), measured in Artillery; messages posted by the runner",
    latency: latencyFrom(rep.summaries["feed.wake_ms"]), ackLatency: latencyOf(producer.hist), window: ctx.monitor.window(measureFrom, measureTo), notes,
  };
  printStep(r);
  return r;
}

async function artilleryFriends(ctx: RunCtx, seeded: Seeded): Promise<StepReport> {
  const rate = RATES[0]!;
  const vus = CONNECTIONS;
  const ramp = Math.max(1, Math.ceil(vus / ARRIVAL));
  const sendFrom = Date.now() + (10 + ramp + 1) * 1000;
  const measureFrom = sendFrom + WARMUP_S * 1000;
  const measureTo = measureFrom + DURATION_S * 1000;
  log(`[${ctx.target}] artillery: ${vus} virtual users, GET /api/friends ${rate ? `at ${rate}/s` : "back to back"}`);
  const rep = await runArtillery({
    dir: ensureDir(path.join(runDir, `${ctx.target}-friends-${rate}`)),
    scenario: "friends", target: ctx.url, fields: ["token"],
    rows: Array.from({ length: vus }, (_, i) => [seeded.users[i % seeded.users.length]!.token]),
    phases: [{ name: "connect", duration: ramp, arrivalCount: vus }],
    env: {
      LOADTEST_SEND_FROM: String(sendFrom), LOADTEST_MEASURE_FROM: String(measureFrom), LOADTEST_MEASURE_TO: String(measureTo),
      LOADTEST_LEAVE_AT: String(measureTo), LOADTEST_RATE_PER_USER: String(rate / vus),
    },
    endsBy: measureTo + 20_000, monitor: ctx.monitor,
  });
  const c = rep.counters;
  const ok = c["friends.ok"] ?? 0;
  const failed = sumCounters(c, "friends.failed");
  profileWindows.push([measureFrom, measureTo]);
  const r: StepReport = {
    target: ctx.target, tool: "artillery", scenario: "friends", nodes: ctx.nodes, offered: rate, seconds: DURATION_S,
    users: seeded.users.length, connected: vus - (c["vusers.failed"] ?? 0), connectFailed: 0,
    sentPerS: (ok + failed) / DURATION_S, okPerS: ok / DURATION_S, deliveredPerS: ok / DURATION_S, missing: 0,
    errors: failed + sumCounters(c, "errors."), errorDetail: [...countersLike(c, "friends.failed"), ...countersLike(c, "errors.")],
    latencyOf: `GET /api/friends (${seeded.friendsPerUser} friends) request -> response, measured in Artillery`,
    latency: latencyFrom(rep.summaries["friends.response_ms"]), window: ctx.monitor.window(measureFrom, measureTo),
    notes: [`artillery log and report: ${path.relative(root, path.dirname(rep.logFile))}`, ...(c["friends.skipped"] ? [`artillery fell behind and skipped ${c["friends.skipped"]} requests`] : [])],
  };
  printStep(r);
  return r;
}

// ------------------------------------------------------------------ one target (ours, or the bare baseline)

function printStep(r: StepReport) {
  console.log(header());
  console.log(line(r));
  console.log(detail(r));
}

async function machineBusy(): Promise<number> {
  const m0 = machineTicks();
  await sleep(2_000);
  return busyPercent(m0, machineTicks());
}

async function runTarget(target: "ours" | "bare", redisMode: RedisMode = "single"): Promise<void> {
  const busy = await machineBusy();
  log(`[${target}] machine ${busy.toFixed(0)}% busy before start (load average ${loadAverage(3, 1)})${busy > 20 ? "  WARNING: something else is running; figures will be low" : ""}`);
  const users = SCENARIO === "friends" ? int(a.users, "users", 2) : CONNECTIONS;
  let backends: Backend[];
  let seeded: Seeded;
  const profileDir = a.profile && target === "ours" ? ensureDir(path.join(runDir, "profiles")) : undefined;
  const redisProcs: { name: string; pid: number }[] = [];
  let cluster: LocalRedisCluster | undefined;
  if (target === "ours") {
    await database.recreate();
    let redisWhere: string;
    let redisOpts: { redisUrl?: string; redisClusterNodes?: string };
    if (redisMode === "cluster") {
      // A longer node timeout than the tests': a busy machine must not fail a master over mid-run.
      cluster = await startRedisCluster({ nodeTimeoutMs: 5_000 });
      const masters = new Set(await cluster.masters());
      for (const n of cluster.nodes) redisProcs.push({ name: `redis-${masters.has(n.port) ? "master" : "replica"}-${n.port}`, pid: n.child.pid! });
      redisWhere = `Redis Cluster ${cluster.nodesEnv} (masters ${[...masters].join(", ")})`;
      redisOpts = { redisClusterNodes: cluster.nodesEnv };
    } else {
      const redis = await startRedis();
      redisProcs.push({ name: redis.proc.name, pid: redis.proc.pid });
      redisWhere = `Redis ${redis.url}`;
      redisOpts = { redisUrl: redis.url };
    }
    const t0 = Date.now();
    // --redis: one more node that serves no room, whose CPU is all cost of other nodes' rooms.
    backends = await startNodes(NODES + (PLACED ? 1 : 0), { ...redisOpts, ...(profileDir ? { profileDir } : {}) });
    log(`[ours] ${NODES} node(s) ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (${redisWhere}, database ${dbName})`);
    const t1 = Date.now();
    seeded = await seed({ users, roomSize: ROOM_SIZE, ...(SCENARIO === "friends" ? { friends: int(a.friends, "friends", 1) } : {}) });
    log(`[ours] seeded ${seeded.users.length} users in ${seeded.rooms.length} rooms${seeded.friendsPerUser ? `, ${seeded.friendsPerUser} friends each` : ""} in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  } else {
    backends = [await startBare()];
    seeded = fakeSeed(users, ROOM_SIZE);
    log(`[bare] bare Socket.IO server ready (one process, no auth, no storage, no adapter)`);
  }
  const fd = fdLimits().soft;
  const perNode = Math.ceil(CONNECTIONS / backends.length);
  if (SCENARIO !== "friends" && perNode + 500 > fd) {
    log(`WARNING: about ${perNode} connections per ${target === "ours" ? "node" : "server"} but each process may open only ${fd} files (ulimit -n): connects will fail; use more --nodes or raise the limit`);
  }
  try {
    const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (SCENARIO !== "friends" && CONNECTIONS > 0.9 * (hi! - lo! + 1)) {
      log(`WARNING: ${CONNECTIONS} connections to one HAProxy port need as many local ports, and net.ipv4.ip_local_port_range offers ${hi! - lo! + 1}: widen it (sysctl -w net.ipv4.ip_local_port_range="1024 65535")`);
    }
  } catch {
    // not Linux, or not readable
  }
  const lb = await startHaproxy(backends, Math.ceil(Math.max(users, CONNECTIONS) * 1.1) + 1_000, fd);
  log(`[${target}] HAProxy ${lb.url}${lb.procs.length > 1 ? ` (${lb.procs.length} processes sharing the port: ${fd} descriptors each)` : ""} -> ${backends.map((b) => `${b.name} :${b.port}`).join(", ")} (config ${lb.cfgPaths.join(", ")})`);
  if (target === "ours") await checkThroughBalancer(lb.url, seeded);
  const monitor = new Monitor(backends, lb.statsUrls, target === "ours" ? dbName : undefined);
  for (const p of lb.procs) monitor.watchProc(p);
  for (const r of redisProcs) monitor.watch(r.name, r.pid);
  monitor.start();
  const ctx: RunCtx = { target, nodes: target === "ours" ? NODES : 1, url: lb.url, monitor, backends };
  // --redis: room i's members on node i mod N, so each node serves 1/N of the rooms.
  const nodeOfRoom = new Map(seeded.rooms.map((r, i) => [r.id, backends[i % NODES]!.url]));
  const before = reports.length;
  try {
    if (SCENARIO === "chat" || SCENARIO === "connections") {
      if (TOOL === "artillery") reports.push(...(await artilleryChat(ctx, seeded, backends)));
      else {
        reports.push(...(await leanChat(ctx, {
          scenario: SCENARIO, members: chatMembers(seeded), rates: RATES, stopOnFail: LADDER, p99GoalMs: P99_GOAL,
          warmupS: WARMUP_S, durationS: DURATION_S, receipts: !a["no-receipts"],
          workers: Math.max(int(a.workers, "workers", 1), Math.ceil(CONNECTIONS / Math.max(1_000, fd - 1_000))),
          connectConcurrency: int(a["connect-concurrency"], "connect-concurrency", 1), ackTimeoutMs: ACK_TIMEOUT_MS, deadline,
          ...(PLACED && target === "ours" ? { urlOf: (m: { roomId: string }) => nodeOfRoom.get(m.roomId)! } : {}),
          onStep: (r) => {
            if (target === "ours") profileWindows.push([Date.now() - (DURATION_S + 3) * 1000 - ACK_TIMEOUT_MS, Date.now()]);
            printStep(r);
          },
        })));
      }
    } else if (SCENARIO === "feed") {
      if (TOOL === "artillery") reports.push(await artilleryFeed(ctx, seeded));
      else {
        const r = await leanFeed(ctx, { seeded, rate: RATES[0]!, warmupS: WARMUP_S, durationS: DURATION_S, pollTimeoutS: int(a["poll-timeout"], "poll-timeout", 1), concurrency: 100 });
        profileWindows.push([Date.now() - (DURATION_S + 8) * 1000, Date.now()]);
        reports.push(r);
        printStep(r);
      }
    } else if (TOOL === "artillery") {
      reports.push(await artilleryFriends(ctx, seeded));
    } else {
      const r = await leanFriends(ctx, { tokens: seeded.users.map((u) => u.token), connections: CONNECTIONS, rate: RATES[0]!, warmupS: WARMUP_S, durationS: DURATION_S });
      profileWindows.push([Date.now() - DURATION_S * 1000, Date.now()]);
      reports.push(r);
      printStep(r);
    }
  } finally {
    if (PLACED && target === "ours") redisRuns.push({ mode: redisMode, redisProcs: redisProcs.map((r) => r.name), reports: reports.slice(before) });
    monitor.stop();
    log(`[${target}] ${await haproxySummary(lb.statsUrls)}`);
    await lb.stop();
    for (const b of backends) {
      const code = await b.proc.stop();
      if (b.proc.problems.length) {
        writeFileSync(path.join(runDir, `${target}-${b.name}-problems.log`), b.proc.problems.join("\n") + "\n");
        log(`[${target}] ${b.name}: ${b.proc.problems.length} warn/error log lines; the first:`);
        for (const p of b.proc.problems.slice(0, 3)) console.log(`    ${p.slice(0, 300)}`);
        console.log(`    (all of them: ${path.relative(root, path.join(runDir, `${target}-${b.name}-problems.log`))})`);
      }
      if (code !== 0) log(`[${target}] ${b.name} exited with ${code}`);
    }
    await stopAll();
    await cluster?.stop();
  }
  if (profileDir) {
    const offsetUs = Number(process.hrtime.bigint() / 1000n) - Date.now() * 1000; // epoch ms -> the monotonic clock V8 profiles use
    for (const b of backends) {
      try {
        const dir = path.join(profileDir, b.name);
        const file = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(dir, f)).sort((x, y) => statSync(y).size - statSync(x).size)[0];
        if (!file) throw new Error(`no .cpuprofile in ${dir}`);
        console.log(`\n[${b.name}] ${summarize(file, profileWindows.map(([f, t]) => [f * 1000 + offsetUs, t * 1000 + offsetUs]))}`);
        console.log(`(full profile: ${path.relative(root, file)}; callers: npx tsx bench/chat-profile.ts ${path.relative(root, file)} --callers <function>)`);
      } catch (err) {
        log(`no profile for ${b.name}: ${(err as Error).message}`);
      }
    }
  }
}

// ------------------------------------------------------------------ summary

function verdict() {
  console.log(`\n${"=".repeat(100)}\nSUMMARY  scenario ${SCENARIO}, ${NODES} node(s), tool ${TOOL}${TOOL === "lean" ? ` (${SCENARIO === "friends" ? "autocannon" : SCENARIO === "feed" ? "node:http pollers" : "socket.io-client in worker threads"})` : " (Artillery 2.0.21)"}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB`);
  console.log(header());
  for (const r of reports) console.log(line(r));
  console.log(`\n${LEGEND}`);
  const best = (target: string) => {
    const ok = reports.filter((r) => r.target === target && meetsLatency(r, P99_GOAL) && r.okPerS >= 0.95 * r.offered);
    return ok.length ? ok.reduce((x, y) => (y.deliveredPerS > x.deliveredPerS ? y : x)) : undefined;
  };
  if (SCENARIO === "chat") {
    const ours = best("ours");
    const bare = best("bare");
    console.log(`\nhighest delivered message:new/s with p99 < ${P99_GOAL} ms, zero errors, nothing missing, >= 95% of offered sends acked:`);
    console.log(`  ours (${NODES} node${NODES > 1 ? "s" : ""}): ${ours ? `${ours.deliveredPerS.toFixed(0)}/s deliveries (${ours.okPerS.toFixed(0)} msgs/s sent, p99 ${ours.latency.p99.toFixed(1)} ms, step ${ours.offered}/s)` : "no step qualified"}`);
    if (BASELINE) {
      console.log(`  bare Socket.IO: ${bare ? `${bare.deliveredPerS.toFixed(0)}/s deliveries (${bare.okPerS.toFixed(0)} msgs/s sent, p99 ${bare.latency.p99.toFixed(1)} ms, step ${bare.offered}/s)` : "no step qualified"}`);
      if (ours && bare) {
        const ratio = ours.deliveredPerS / bare.deliveredPerS;
        const topped = reports.filter((r) => r.target === "bare").every((r) => meetsLatency(r, P99_GOAL));
        console.log(`  ratio ours / bare: ${(100 * ratio).toFixed(0)}% (goal >= 50%)${topped ? "  NOTE: the bare server passed every step; its ceiling is higher than the ladder went, so the ratio is an upper bound" : ""}`);
      }
    }
  }
  if (SCENARIO === "connections") {
    for (const r of reports) {
      const kb = r.perSocketKb?.map((p) => `${p.name} ${p.kb.toFixed(1)} KB RSS / ${p.heapKb.toFixed(1)} KB heap`).join(", ") ?? "-";
      console.log(`\n${r.target}: ${r.connected} of ${r.users} sockets connected and joined, peak ${r.window.peakSockets || r.connected} held, ${r.errors + r.connectFailed} errors, ${r.missing} missing; memory per socket ${kb}`);
      if (r.target === "ours") console.log(`  goal: 20,000 concurrent authenticated sockets across 2 nodes, zero errors, < 40 KB per socket: ${r.connected >= 20_000 && clean(r) && (r.perSocketKb ?? []).every((p) => p.kb < 40) ? "MET" : "not met in this run"}`);
    }
  }
  if (redisRuns.length) redisVerdict();
  const dirty = reports.filter((r) => !clean(r));
  if (dirty.length) console.log(`\n${dirty.length} step(s) had errors or missing deliveries: their figures do not count.`);
  const busy = reports.filter((r) => r.window.machineBusyPct > 95);
  if (busy.length) console.log(`WARNING: the machine was saturated (> 95% of all cores) in ${busy.length} step(s): generator, HAProxy, Redis and PostgreSQL share the cores.`);
  const file = path.join(runDir, "results.json");
  writeFileSync(file, JSON.stringify({ args: a, started: new Date(started).toISOString(), cores: availableParallelism(), reports }, null, 1));
  console.log(`\nresults: ${path.relative(root, file)}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * --redis: per step, each node's CPU per message it delivered (its rooms are 1/N of them: placed)
 * and the Redis processes' CPU per message sent, for one Redis (classic adapter: every node decodes
 * every room's broadcasts) and the cluster (sharded: a node decodes its own rooms' only).
 */
function redisVerdict() {
  console.log(`\nRedis modes at the same offered load, ${NODES} nodes, each room's members on one node (1/${NODES} of the rooms each), and node${NODES + 1} with no socket:`);
  console.log("  mode     offered/s  sent/s  delivered/s  p99 ms  node CPU µs per delivered message (each node)        Redis CPU µs per message sent (all processes; masters)");
  for (const run of redisRuns) {
    for (const r of run.reports) {
      const cpu = (name: string) => (r.window.procs.find((p) => p.name === name)?.cpuPct ?? 0) * 10; // ms of CPU per second
      const observer = `node${NODES + 1}`;
      const nodes = r.window.procs.filter((p) => /^node\d+$/.test(p.name) && p.name !== observer).map((p) => p.name).sort();
      const perNodeDelivered = r.deliveredPerS / Math.max(1, nodes.length);
      const nodeUs = nodes.map((n) => `${n} ${((1000 * cpu(n)) / Math.max(1, perNodeDelivered)).toFixed(0)}`).join(", ");
      const redisAll = run.redisProcs.reduce((x, n) => x + cpu(n), 0);
      const redisMasters = run.redisProcs.filter((n) => !n.includes("replica")).reduce((x, n) => x + cpu(n), 0);
      const perMsg = (ms: number) => ((1000 * ms) / Math.max(1, r.okPerS)).toFixed(1);
      const idle = `${observer} (no room) ${((1000 * cpu(observer)) / Math.max(1, r.okPerS)).toFixed(0)} µs per message sent`;
      console.log(
        `  ${run.mode.padEnd(8)} ${String(r.offered).padStart(9)} ${r.okPerS.toFixed(0).padStart(7)} ${r.deliveredPerS.toFixed(0).padStart(12)} ${r.latency.p99.toFixed(1).padStart(7)}  ${nodeUs.padEnd(52)} ${perMsg(redisAll)}; ${perMsg(redisMasters)}${clean(r) ? "" : "  (errors or missing: does not count)"}\n${" ".repeat(52)}${idle}`,
      );
    }
    // Two steps or more: the marginal cost (the slope from the lowest to the highest step), free of
    // what a process spends whatever the load (timers, the monitor's /metrics scrapes, cluster gossip).
    const [lo, hi] = [run.reports[0], run.reports.at(-1)];
    if (lo && hi && hi !== lo && hi.okPerS > lo.okPerS) {
      const d = (name: string) => ((hi.window.procs.find((p) => p.name === name)?.cpuPct ?? 0) - (lo.window.procs.find((p) => p.name === name)?.cpuPct ?? 0)) * 10;
      const dSent = hi.okPerS - lo.okPerS;
      const nodes = hi.window.procs.filter((p) => /^node\d+$/.test(p.name) && p.name !== `node${NODES + 1}`).map((p) => p.name).sort();
      const dDelivered = (hi.deliveredPerS - lo.deliveredPerS) / Math.max(1, nodes.length);
      const serving = nodes.map((n) => (1000 * d(n)) / dDelivered);
      const redis = run.redisProcs.reduce((x, n) => x + d(n), 0);
      console.log(
        `  ${run.mode.padEnd(8)} marginal, ${lo.offered} -> ${hi.offered}/s: serving nodes ${serving.map((u) => u.toFixed(0)).join(", ")} µs per delivered message; ` +
          `node${NODES + 1} (no room) ${((1000 * d(`node${NODES + 1}`)) / dSent).toFixed(0)} µs per message sent; Redis ${((1000 * redis) / dSent).toFixed(1)} µs per message sent`,
      );
    }
  }
}

// ------------------------------------------------------------------ main

async function main() {
  // Each socket is a descriptor in the generator, two in HAProxy, one in a node. Where the limit
  // cannot be raised enough, the generator and HAProxy spread over several processes instead.
  await reexecWithFdLimit(Math.max(65_536, CONNECTIONS * 2 + 10_000));
  const hardStop = setTimeout(() => {
    console.error(`\nhard cap (${MAX_S + 60} s) reached: killing everything this run started`);
    killAllNow();
    process.exit(3);
  }, (MAX_S + 60) * 1000);
  hardStop.unref();
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${sig}: stopping everything this run started`);
      void stopAll()
        .then(() => (a["keep-db"] ? undefined : database.drop()))
        .catch(() => undefined)
        .finally(() => process.exit(130));
    });
  }
  log(`scenario ${SCENARIO}, ${NODES} node(s), tool ${TOOL}, ${SCENARIO === "friends" ? `${CONNECTIONS} connections` : `${CONNECTIONS} users`}, rate ${RATES.join(",")}${LADDER ? " (ladder)" : ""}, warm-up ${WARMUP_S} s + ${DURATION_S} s per step${BASELINE ? ", with the bare baseline" : ""}; open-file limit ${fdLimits().soft}; cap ${MAX_S} s; output ${path.relative(root, runDir)}`);
  ensureDebian("haproxy", "haproxy");
  ensureDebian("redis-server", "redis-server");
  ensurePrismaClient();
  if (TOOL === "artillery") ensureArtillery();
  try {
    for (const mode of REDIS_MODES) await runTarget("ours", mode);
    if (BASELINE) await runTarget("bare");
  } finally {
    await stopAll();
    if (!a["keep-db"]) await database.drop().catch((err) => log(`could not drop ${dbName}: ${(err as Error).message}`));
  }
  verdict();
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  async (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    killAllNow();
    await stopAll().catch(() => undefined);
    process.exit(1);
  },
);
