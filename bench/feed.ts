// Long-poll event feed benchmark (GET /api/events): held polls on one node, and wake latency
// across two nodes.
//
//   ulimit -n 20000 && npx tsx bench/feed.ts      5,000 held polls, then 1,000 waiters woken across nodes
//   npx tsx bench/feed.ts --polls 5000 --waiters 1000 --rounds 3 --invite-rounds 2 --concurrency 50 --hold 10
//   npx tsx bench/feed.ts --polls 0 --concurrency 10   wake latency only, at a lower offered load
//   npx tsx bench/feed.ts --keep-db                leave chat_bench_feed in place afterwards
//
// What it does:
//  0. Drops and re-creates the database `chat_bench_feed` (admin URL: BENCH_PG_URL, else
//     postgresql://postgres@127.0.0.1:5432/postgres), starts node B (`node --import tsx
//     src/main.ts`, NODE_ENV=production, LOG_LEVEL=warn, rate limits raised, BCRYPT_COST=4,
//     REDIS_URL redis://127.0.0.1:6379/7 or BENCH_REDIS_URL), seeds max(polls, waiters) + waiters
//     users by direct SQL and mints their access tokens with the fixed JWT_SECRET (HS256, issuer
//     "chat-backend", sub = user id, random sid, as src/security/jwt-access-tokens.ts issues them;
//     the bearer check is stateless, so no session rows are needed).
//     Node B is preloaded with two probes (bench only): bench/feed-gc-hook.mjs (--expose-gc; on
//     SIGUSR2 a full GC, then the live heap and RSS on stderr) and bench/pg-query-counter.mjs
//     (statements sent, by SQL text, written on the same SIGUSR2).
//  1. Held polls: samples node B idle (live heap after GC, RSS, CPU over 5 s), opens one poll per
//     user (`GET /api/events?cursor=<seq 0>&timeout=55`, one keep-alive socket each, at most 250
//     connecting at a time), waits until `events_held_polls` on /metrics shows them all and the
//     node answers /healthz at once, samples again (RSS and heap per waiter = delta / N; CPU over
//     --hold seconds), then releases them by closing the client sockets (the server's `close`
//     frees each waiter), times how long the gauge takes to reach 0, and samples a third time
//     (growth after the release; SQL statements per opened and per released poll).
//  2. Wake latency: starts node A on the same PostgreSQL and Redis (no probes). A warm-up round
//     (100 waiters) first; then each round the first --waiters users hold a poll on node B
//     (chained cursors) and events addressed to them are created through node A:
//       friends round: sender k POSTs /api/friends/requests {userId: waiter (k + round) % W},
//                      --concurrency requests in flight (one friend.request per request)
//       invites round: W/100 owners POST /api/rooms {type: "group", memberIds: [100 waiters]},
//                      in parallel (each request writes its 100 invite.created one after another)
//     Per waiter it records when its event's creating request was sent and when its response
//     arrived, the event's `at` (PostgreSQL now() of the writing transaction, same host clock),
//     when a Redis subscriber in this process first saw a wake naming the waiter, and when the
//     poll response body had fully arrived; it checks the event is the expected one. Also per
//     round: CPU and run-queue wait (/proc/<pid>/schedstat) of both nodes, and what the
//     database's backends were doing (pg_stat_activity every 100 ms).
//  3. Prints a summary table and the commands, stops both nodes (SIGTERM) and drops the database.
//
// The client (this process), both nodes, PostgreSQL and Redis share the machine: load averages
// are printed beside the figures. Bounded by --budget seconds (default 290): rounds are skipped
// when time runs short and a watchdog cleans up and exits if something hangs.
//
// File descriptors: each held poll is one socket in this process and one in node B. The script
// refuses to start when its soft limit (`ulimit -n`, inherited by the nodes) is below polls + 500.
//
// Redis pub/sub ignores the db index: other nodes on the same Redis (tests running meanwhile)
// share the wake and Socket.IO adapter channels, which adds a little noise.
import { spawn, type ChildProcess } from "node:child_process";
import { createSecretKey, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import jwt from "jsonwebtoken";
import pg from "pg";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: {
    polls: { type: "string", default: "5000" },
    waiters: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    "invite-rounds": { type: "string", default: "2" },
    concurrency: { type: "string", default: "50" },
    hold: { type: "string", default: "10" },
    budget: { type: "string", default: "290" },
    "keep-db": { type: "boolean", default: false },
  },
});
const POLLS = Number(args.polls);
const WAITERS = Number(args.waiters);
const FRIEND_ROUNDS = Number(args.rounds);
const INVITE_ROUNDS = Number(args["invite-rounds"]);
const CONCURRENCY = Number(args.concurrency);
const HOLD_S = Number(args.hold);
const BUDGET_MS = Number(args.budget) * 1000;
const ROOM_INVITEES = 100; // POST /api/rooms accepts at most 100 memberIds

const DB_NAME = "chat_bench_feed";
const adminUrl = process.env.BENCH_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${DB_NAME}`;
  return u.toString();
})();
const REDIS_URL = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379/7";
const JWT_SECRET = "chat-bench-feed-jwt-secret-0123456789abcdef0123";
const jwtKey = createSecretKey(Buffer.from(JWT_SECRET, "utf8"));

const started = Date.now();
const log = (msg: string) => process.stderr.write(`[feed ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock milliseconds with sub-ms resolution (comparable with PostgreSQL's now() on this host). */
const now = () => performance.timeOrigin + performance.now();
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
const left = () => BUDGET_MS - (Date.now() - started);

// ---------------------------------------------------------------- processes

interface GcSample {
  heapUsed: number;
  external: number;
  rss: number;
}

interface Node {
  name: string;
  /** Resolves with the next full-GC sample that bench/feed-gc-hook.mjs writes after SIGUSR2. */
  gcWaiters: ((s: GcSample) => void)[];
  /** Statements sent so far by the node's pg clients, by SQL text (bench/pg-query-counter.mjs). */
  countsFile: string;
  url: URL;
  pid: number;
  child: ChildProcess;
  problems: Map<string, number>;
  stop(): Promise<number | string>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const nodes: Node[] = [];
const tmpDirs: string[] = [];

/** `probes`: preload the GC and query-count hooks (node B only; they cost a regex per statement). */
async function startNode(name: string, probes: boolean): Promise<Node> {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), "chat-bench-feed-"));
  tmpDirs.push(dataDir);
  // Both preloads act on SIGUSR2: the query counts are written first, then the GC sample.
  const countsFile = path.join(dataDir, "pg-query-counts.json");
  const nodeArgs = [
    ...(probes ? ["--expose-gc", "--import", "./bench/pg-query-counter.mjs", "--import", "./bench/feed-gc-hook.mjs"] : []),
    "--import", "tsx", "src/main.ts",
  ];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ID: `bench-feed-${name}`,
      DATA_DIR: dataDir,
      DATABASE_URL: dbUrl,
      REDIS_URL,
      PG_QUERY_COUNTS_FILE: countsFile,
      LOG_LEVEL: "warn",
      BCRYPT_COST: "4",
      JWT_SECRET,
      RATE_LIMIT_USER_PER_SECOND: "1000000",
      RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
      RATE_LIMIT_SOCKET_SENDS: "1000000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const problems = new Map<string, number>();
  const note = (key: string) => problems.set(key.slice(0, 240), (problems.get(key.slice(0, 240)) ?? 0) + 1);
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, sig) => resolve(code ?? sig ?? -1)));
  const url = new URL(`http://127.0.0.1:${port}`);
  // "listening" is an info line and LOG_LEVEL is warn: readiness is polled instead.
  createInterface({ input: child.stdout! }).on("line", (line) => {
    let e: { level?: number; msg?: string; err?: { message?: string } } | undefined;
    try {
      e = JSON.parse(line);
    } catch {
      note(`stdout: ${line}`);
      return;
    }
    if ((e?.level ?? 0) >= 40) note(`${e?.level === 40 ? "warn" : "error"}: ${e?.msg} ${e?.err?.message ?? ""}`);
  });
  const listening = (async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`node ${name} exited (${child.exitCode ?? child.signalCode}): ${[...problems.keys()].join("\n")}`);
      const ok = await fetch(new URL("/readyz", url)).then((r) => r.status === 200, () => false);
      if (ok) return;
      await sleep(200);
    }
    child.kill("SIGKILL");
    throw new Error(`node ${name} not ready in 60 s: ${[...problems.keys()].join("\n")}`);
  })();
  const gcWaiters: ((s: GcSample) => void)[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    if (line.startsWith('{"feedBenchGc"')) {
      const sample = (JSON.parse(line) as { feedBenchGc: GcSample }).feedBenchGc;
      for (const w of gcWaiters.splice(0)) w(sample);
    } else note(`stderr: ${line.trim()}`);
  });
  const node: Node = {
    name,
    gcWaiters,
    countsFile,
    url,
    pid: child.pid!,
    child,
    problems,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 12_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  // Registered before it is ready, so a failed or interrupted start still stops it.
  nodes.push(node);
  await listening;
  return node;
}

/** CPU seconds (user + system) and resident memory of a Linux process, from /proc. */
async function procStats(pid: number): Promise<{ cpuSeconds: number; rssMiB: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return { cpuSeconds: ticks / 100, rssMiB: rssKb / 1024 };
}

function fdLimitOf(pid: number): number {
  try {
    const limits = readFileSync(`/proc/${pid}/limits`, "utf8");
    return Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

async function metrics(node: Node): Promise<Map<string, number>> {
  const text = await (await fetch(new URL("/metrics", node.url))).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Live V8 heap and RSS right after a full GC in the node (bench/feed-gc-hook.mjs), in MiB, and its query counts so far. */
async function afterGc(node: Node): Promise<{ heapMiB: number; rssMiB: number; queries: Map<string, number> }> {
  const sample = new Promise<GcSample>((resolve, reject) => {
    node.gcWaiters.push(resolve);
    setTimeout(() => reject(new Error(`node ${node.name} did not answer the GC probe in 30 s`)), 30_000).unref();
  });
  node.child.kill("SIGUSR2");
  const s = await sample;
  const queries = new Map<string, number>(Object.entries(JSON.parse(await readFile(node.countsFile, "utf8").catch(() => "{}")) as Record<string, number>));
  return { heapMiB: s.heapUsed / 2 ** 20, rssMiB: s.rss / 2 ** 20, queries };
}

/** Statements sent between two samples: total and the most frequent. */
function queryDelta(from: Map<string, number>, to: Map<string, number>) {
  const diff = [...to].map(([sql, n]) => [sql, n - (from.get(sql) ?? 0)] as const).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1]);
  return { total: diff.reduce((sum, [, n]) => sum + n, 0), top: diff.slice(0, 3) };
}

/** CPU time the main thread was runnable but waiting for a core (/proc/<pid>/schedstat), in seconds. */
async function runQueueWait(pid: number): Promise<number> {
  const [, waitNs] = (await readFile(`/proc/${pid}/schedstat`, "utf8")).trim().split(" ").map(Number);
  return waitNs! / 1e9;
}

async function heldPolls(node: Node): Promise<number> {
  return (await metrics(node)).get("events_held_polls") ?? NaN;
}

async function memory(node: Node) {
  const m = await metrics(node);
  const p = await procStats(node.pid);
  return {
    rssMiB: p.rssMiB,
    heapUsedMiB: (m.get("nodejs_heap_size_used_bytes") ?? NaN) / 2 ** 20,
    externalMiB: (m.get("nodejs_external_memory_bytes") ?? NaN) / 2 ** 20,
    cpuSeconds: p.cpuSeconds,
    lagP99Ms: (m.get("nodejs_eventloop_lag_p99_seconds") ?? NaN) * 1000,
  };
}

/** Waits until a trivial request is answered at once three times running (queues drained), at most 15 s. */
async function waitIdle(node: Node) {
  const deadline = Date.now() + 15_000;
  let quick = 0;
  while (Date.now() < deadline && quick < 3) {
    const t = Date.now();
    await fetch(new URL("/healthz", node.url)).then((r) => r.arrayBuffer()).catch(() => undefined);
    quick = Date.now() - t < 20 ? quick + 1 : 0;
    await sleep(200);
  }
}

async function waitHeld(node: Node, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let held = NaN;
  while (Date.now() < deadline) {
    held = await heldPolls(node);
    if (held === want) return held;
    await sleep(250);
  }
  return held;
}

// ---------------------------------------------------------------- database and users

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

interface User {
  id: string;
  token: string;
}

/** Users by direct SQL ("!" is no bcrypt hash: they cannot log in) and tokens minted as the server would. */
async function seedUsers(n: number): Promise<User[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO "User" ("id", "email", "passwordHash", "displayName")
       SELECT id, 'feed-' || id || '@example.test', '!', 'Feed ' || n FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [ids],
    );
    await c.query("ANALYZE");
  } finally {
    await c.end();
  }
  return ids.map((id) => ({
    id,
    token: jwt.sign({ sid: randomUUID() }, jwtKey, { algorithm: "HS256", subject: id, issuer: "chat-backend", expiresIn: 3600 }),
  }));
}

const cursorOf = (seq: number) => Buffer.from(`f1.${seq}`).toString("base64url");

// ---------------------------------------------------------------- HTTP client

interface PollResult {
  status: number;
  body?: { events: { id: string; type: string; at: string; data: any }[]; cursor: string };
  arrived: number;
  error?: string;
}
interface Poll {
  req: http.ClientRequest;
  connected: Promise<void>;
  done: Promise<PollResult>;
}

function openPoll(node: Node, agent: http.Agent, user: User, cursor: string, timeoutS = 55): Poll {
  let onConnect!: () => void;
  const connected = new Promise<void>((r) => (onConnect = r));
  let req!: http.ClientRequest;
  const done = new Promise<PollResult>((resolve) => {
    req = http.request(
      {
        host: node.url.hostname,
        port: node.url.port,
        path: `/api/events?cursor=${cursor}&timeout=${timeoutS}`,
        agent,
        headers: { authorization: `Bearer ${user.token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const arrived = now();
          let body: PollResult["body"];
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body, arrived });
        });
        res.on("error", (err) => resolve({ status: res.statusCode ?? 0, arrived: now(), error: err.message }));
      },
    );
    req.on("socket", (s) => {
      if (!s.connecting) onConnect();
      else s.once("connect", onConnect);
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      onConnect();
      resolve({ status: 0, arrived: now(), error: err.code ?? err.message });
    });
    req.end();
  });
  return { req, connected, done };
}

function postJson(node: Node, agent: http.Agent, pathName: string, body: unknown, token: string): Promise<{ status: number; body: any }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: node.url.hostname,
        port: node.url.port,
        path: pathName,
        method: "POST",
        agent,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": payload.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ status: 0, body: { error: err.code ?? err.message } }));
    req.end(payload);
  });
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const countBy = (items: string[]) => {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m].map(([k, v]) => `${v} x ${k}`).join(", ") || "none";
};

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), p99: pct(s, 99), max: s.at(-1) ?? NaN, min: s[0] ?? NaN };
}
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "-");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "-");

// ---------------------------------------------------------------- phase 1: held polls

type GcMiB = Awaited<ReturnType<typeof afterGc>>;

interface HeldReport {
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

async function heldPhase(b: Node, users: User[]): Promise<HeldReport> {
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
  const idleCpuPct = (((await procStats(b.pid)).cpuSeconds - before.cpuSeconds) / idleWindow) * 100;

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
  const heldCpuPct = (((await procStats(b.pid)).cpuSeconds - after.cpuSeconds) / HOLD_S) * 100;
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
    errors: countBy(errors),
    early: countBy(early),
    load: loadNow,
  };
}

// ---------------------------------------------------------------- phase 2: wake latency across nodes

/**
 * First wake message naming each user, as seen by a subscriber on Redis. Both wire formats:
 * `chat:feed:wake` carrying `[userId…]`, and the cluster bus `chat:bus:feed-wake` carrying
 * `[nodeId, [userId…]]`.
 */
const WAKE_CHANNELS = ["chat:feed:wake", "chat:bus:feed-wake"];
const wakeSeen = new Map<string, number>();
let wakeProbe: Redis | undefined;
async function startWakeProbe() {
  wakeProbe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await wakeProbe.connect();
  await wakeProbe.subscribe(...WAKE_CHANNELS);
  wakeProbe.on("message", (_channel: string, payload: string) => {
    const t = now();
    try {
      const parsed = JSON.parse(payload) as unknown[];
      const ids = parsed.length === 2 && Array.isArray(parsed[1]) ? (parsed[1] as string[]) : (parsed as string[]);
      for (const id of ids) if (typeof id === "string" && !wakeSeen.has(id)) wakeSeen.set(id, t);
    } catch {
      // not a wake
    }
  });
}

/** What this database's backends are doing, sampled every 100 ms while `work` runs. */
async function sampleBackends<T>(work: Promise<T>): Promise<{ result: T; samples: number; states: string }> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await c.query(
        `SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu') AS w, count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY 1, 2`,
        [DB_NAME],
      );
      samples++;
      for (const row of r.rows) if (row.state !== "idle") counts.set(`${row.state}/${row.w}`, (counts.get(`${row.state}/${row.w}`) ?? 0) + row.n);
      await sleep(100);
    }
  })();
  try {
    const result = await work;
    return {
      result,
      samples,
      states: [...counts].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([k, v]) => `${k} ${(v / Math.max(1, samples)).toFixed(1)}`).join(", ") || "idle",
    };
  } finally {
    running = false;
    await loop.catch(() => undefined);
    await c.end();
  }
}

interface RoundReport {
  kind: "friends" | "invites";
  round: number;
  waiters: number;
  woken: number;
  fromSent: ReturnType<typeof summary>;
  fromReturned: ReturnType<typeof summary>;
  fromAt: ReturnType<typeof summary>;
  atToWake: ReturnType<typeof summary>;
  wakeToPoll: ReturnType<typeof summary>;
  createMs: number;
  deliverMs: number;
  createErrors: string;
  pollProblems: string;
  pgBusy: string;
  bCpuPct: number;
  aCpuPct: number;
  /** Share of the round the node's main thread was runnable but had no core. */
  aWaitPct: number;
  bWaitPct: number;
  clientLagP99: number;
  load: string;
}

async function wakeRound(
  kind: "friends" | "invites",
  round: number,
  a: Node,
  b: Node,
  waiters: User[],
  senders: User[],
  cursors: string[],
  pollAgent: http.Agent,
  postAgent: http.Agent,
): Promise<RoundReport> {
  const W = waiters.length;
  const polls = waiters.map((u, j) => openPoll(b, pollAgent, u, cursors[j]!));
  const held = await waitHeld(b, W, 30_000);
  await waitIdle(b);
  if (held !== W) log(`round ${round}: only ${held} of ${W} polls held on node B`);

  const sent = new Float64Array(W).fill(NaN);
  const returned = new Float64Array(W).fill(NaN);
  const expectedFrom: string[] = new Array(W);
  const createProblems: string[] = [];
  const lag = monitorEventLoopDelay({ resolution: 5 });
  const [aBefore, bBefore, aWait0, bWait0] = await Promise.all([procStats(a.pid), procStats(b.pid), runQueueWait(a.pid), runQueueWait(b.pid)]);
  wakeSeen.clear();
  const w0 = now();
  lag.enable();

  const arrivals = polls.map((p) => p.done);
  const create = async () => {
    if (kind === "friends") {
      await pool(W, CONCURRENCY, async (k) => {
        const j = (k + round) % W;
        const sender = senders[k]!;
        expectedFrom[j] = sender.id;
        sent[j] = now();
        const r = await postJson(a, postAgent, "/api/friends/requests", { userId: waiters[j]!.id }, sender.token);
        returned[j] = now();
        if (r.status !== 201) createProblems.push(`HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
      });
    } else {
      const rooms = Math.ceil(W / ROOM_INVITEES);
      await pool(rooms, Math.min(rooms, CONCURRENCY), async (k) => {
        const members = Array.from({ length: Math.min(ROOM_INVITEES, W - k * ROOM_INVITEES) }, (_, i) => k * ROOM_INVITEES + i);
        const owner = senders[k]!;
        for (const j of members) expectedFrom[j] = owner.id;
        const t = now();
        for (const j of members) sent[j] = t;
        const room = { type: "group", name: `feed bench ${round}.${k}`, memberIds: members.map((j) => waiters[j]!.id) };
        const r = await postJson(a, postAgent, "/api/rooms", room, owner.token);
        const t2 = now();
        for (const j of members) returned[j] = t2;
        if (r.status !== 201) createProblems.push(`HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
      });
    }
  };
  const pgBusy = (await sampleBackends(create())).states;
  const created = now();

  // Every poll should be answered by its event; give stragglers 10 s, then cut them.
  const results: (PollResult | undefined)[] = new Array(W);
  arrivals.forEach((d, j) => void d.then((r) => (results[j] = r)));
  const deadline = Date.now() + 10_000;
  while (results.filter(Boolean).length < W && Date.now() < deadline) await sleep(20);
  lag.disable();
  const [aAfter, bAfter, aWait1, bWait1] = await Promise.all([procStats(a.pid), procStats(b.pid), runQueueWait(a.pid), runQueueWait(b.pid)]);
  const elapsed = (now() - w0) / 1000;
  for (let j = 0; j < W; j++) if (!results[j]) polls[j]!.req.destroy();

  const fromSent: number[] = [];
  const fromReturned: number[] = [];
  const fromAt: number[] = [];
  const atToWake: number[] = [];
  const wakeToPoll: number[] = [];
  const pollProblems: string[] = [];
  let lastArrival = w0;
  for (let j = 0; j < W; j++) {
    const r = results[j];
    if (!r) {
      pollProblems.push("not answered within 10 s of the last create");
      continue;
    }
    if (r.error || r.status !== 200 || !r.body) {
      pollProblems.push(r.error ?? `HTTP ${r.status}`);
      continue;
    }
    const want = kind === "friends" ? "friend.request" : "invite.created";
    const ev = r.body.events.find((e) =>
      e.type === want && (kind === "friends" ? e.data?.request?.fromUserId === expectedFrom[j] : e.data?.invite?.inviterId === expectedFrom[j]),
    );
    cursors[j] = r.body.cursor;
    if (!ev) {
      pollProblems.push(r.body.events.length ? `unexpected events ${r.body.events.map((e) => e.type).join(",")}` : "answered without events (timeout)");
      continue;
    }
    if (r.body.events.length !== 1) pollProblems.push(`${r.body.events.length} events in one response`);
    lastArrival = Math.max(lastArrival, r.arrived);
    fromSent.push(r.arrived - sent[j]!);
    fromReturned.push(r.arrived - returned[j]!);
    fromAt.push(r.arrived - Date.parse(ev.at));
    const woke = wakeSeen.get(waiters[j]!.id);
    if (woke !== undefined) {
      atToWake.push(woke - Date.parse(ev.at));
      wakeToPoll.push(r.arrived - woke);
    }
  }
  // Cursors of unanswered polls stay as they were; a later round reads their event then.
  return {
    kind,
    round,
    waiters: W,
    woken: fromSent.length,
    fromSent: summary(fromSent),
    fromReturned: summary(fromReturned),
    fromAt: summary(fromAt),
    atToWake: summary(atToWake),
    wakeToPoll: summary(wakeToPoll),
    createMs: created - w0,
    deliverMs: lastArrival - w0,
    createErrors: countBy(createProblems),
    pollProblems: countBy(pollProblems),
    pgBusy,
    bCpuPct: ((bAfter.cpuSeconds - bBefore.cpuSeconds) / elapsed) * 100,
    aCpuPct: ((aAfter.cpuSeconds - aBefore.cpuSeconds) / elapsed) * 100,
    aWaitPct: ((aWait1 - aWait0) / elapsed) * 100,
    bWaitPct: ((bWait1 - bWait0) / elapsed) * 100,
    clientLagP99: lag.percentile(99) / 1e6,
    load: load(),
  };
}

// ---------------------------------------------------------------- main

async function cleanup() {
  wakeProbe?.disconnect();
  await Promise.all(nodes.map(async (n) => log(`node ${n.name} stopped (${await n.stop()})`)));
  if (!args["keep-db"]) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`)).catch((err) => log(`could not drop ${DB_NAME}: ${err.message}`));
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
}

async function main() {
  let exitCode = 0;
  let cleaning: Promise<void> | undefined;
  const finish = (code: number) => {
    cleaning ??= cleanup();
    void cleaning.finally(() => process.exit(code));
  };
  process.once("SIGINT", () => {
    log("interrupted; cleaning up");
    finish(130);
  });
  // Watchdog: whatever hangs, the script ends and its children are stopped.
  setTimeout(() => {
    log(`budget of ${BUDGET_MS / 1000} s exceeded (+30 s); cleaning up`);
    finish(1);
  }, BUDGET_MS + 30_000).unref();

  const softFd = fdLimitOf(process.pid);
  if (softFd < POLLS + 500) {
    log(`open-file limit is ${softFd}; ${POLLS} polls need about ${POLLS + 500}. Run \`ulimit -n ${POLLS + 2000}\` first.`);
    process.exit(2);
  }

  const out: string[] = [];
  try {
    log(`database ${DB_NAME}: recreating; load average ${load()} (${cpus().length} CPUs)`);
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${DB_NAME}"`);
    });
    const b = await startNode("B", true);
    log(`node B pid ${b.pid} at ${b.url.href} (fd limit ${fdLimitOf(b.pid)})`);
    const nUsers = Math.max(POLLS, WAITERS) + WAITERS;
    const t = Date.now();
    const users = await seedUsers(nUsers);
    log(`seeded ${nUsers} users by SQL with minted tokens in ${Date.now() - t} ms`);

    // Phase 1 (--polls 0 skips it)
    if (POLLS > 0) {
      const h = await heldPhase(b, users.slice(0, POLLS));
      const rssPer = ((h.after.rssMiB - h.before.rssMiB) * 1024) / h.polls;
      const heapPer = ((h.after.heapUsedMiB - h.before.heapUsedMiB) * 1024) / h.polls;
      const extPer = ((h.after.externalMiB - h.before.externalMiB) * 1024) / h.polls;
      out.push(
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
      );
      const opening = queryDelta(h.live.before.queries, h.live.held.queries);
      const releasing = queryDelta(h.live.held.queries, h.live.released.queries);
      for (const [what, d] of [["opening + holding", opening], ["releasing", releasing]] as const) {
        out.push(`  SQL while ${what.padEnd(17)} ${d.total} statements = ${f2(d.total / h.polls)} per poll; most: ${d.top.map(([sql, n]) => `${n} x ${sql.slice(0, 70)}`).join(" | ") || "none"}`);
      }
    }

    // Phase 2
    await startWakeProbe();
    const a = await startNode("A", false);
    log(`node A pid ${a.pid} at ${a.url.href}`);
    const waiters = users.slice(0, WAITERS);
    const senders = users.slice(Math.max(POLLS, WAITERS), Math.max(POLLS, WAITERS) + WAITERS);
    const pollAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: WAITERS + 100 });
    const postAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
    // Warm node A's create paths (and the cross-node path) with a small friends round first.
    const cursors = waiters.map(() => cursorOf(0));
    log(`warm-up round: 100 waiters, friend requests through node A`);
    const warmCursors = cursors.slice(0, 100);
    const warm = await wakeRound("friends", 0, a, b, waiters.slice(0, 100), senders.slice(0, 100), warmCursors, pollAgent, postAgent);
    warmCursors.forEach((c, j) => (cursors[j] = c));
    // A canary too: if node B does not hear node A's wakes, every round would only measure timeouts.
    const wakeBroken = warm.woken < warm.waiters * 0.9;
    if (wakeBroken) {
      log(`warm-up: only ${warm.woken}/${warm.waiters} polls on node B were woken by events created on node A (${warm.pollProblems}); skipping the rounds`);
      out.push("", `Wake latency across nodes: NOT MEASURED. In the warm-up round only ${warm.woken}/${warm.waiters} polls on node B were answered by`,
        `  events created through node A within 10 s (${warm.pollProblems}). Cross-node wake-ups are not arriving: see node B's warnings below.`);
      exitCode = 1;
    }

    const plan: ("friends" | "invites")[] = [...Array(FRIEND_ROUNDS).fill("friends"), ...Array(INVITE_ROUNDS).fill("invites")];
    const rounds: RoundReport[] = [];
    for (const [i, kind] of wakeBroken ? [] : plan.entries()) {
      if (left() < 40_000) {
        log(`skipping the remaining ${plan.length - i} rounds: budget nearly spent`);
        break;
      }
      // Friends rounds start at 1 (the warm-up used pairs k -> k).
      const r = await wakeRound(kind, i + 1, a, b, waiters, senders, cursors, pollAgent, postAgent);
      rounds.push(r);
      log(
        `round ${r.round} (${kind}): woken ${r.woken}/${r.waiters}; at->poll p50 ${f1(r.fromAt.p50)} p99 ${f1(r.fromAt.p99)} max ${f1(r.fromAt.max)} ms; ` +
          `at->wake p50 ${f1(r.atToWake.p50)} p99 ${f1(r.atToWake.p99)}; wake->poll p50 ${f1(r.wakeToPoll.p50)} p99 ${f1(r.wakeToPoll.p99)}; ` +
          `returned->poll p99 ${f1(r.fromReturned.p99)} ms; sent->poll p99 ${f1(r.fromSent.p99)} ms; created in ${f0(r.createMs)} ms; load ${r.load}`,
      );
      if (r.woken < r.waiters * 0.5) {
        log(`round ${r.round}: only ${r.woken}/${r.waiters} woken; stopping the rounds (wake path broken?)`);
        break;
      }
      await sleep(500);
    }
    pollAgent.destroy();
    postAgent.destroy();

    if (rounds.length) {
      out.push(
        "",
        `Wake latency across nodes: ${WAITERS} waiters hold a poll on node B, events created through node A (shared PostgreSQL + Redis ${REDIS_URL})`,
        `  friends: ${CONCURRENCY} concurrent POST /api/friends/requests, one friend.request each; invites: ${Math.ceil(WAITERS / ROOM_INVITEES)} parallel POST /api/rooms with ${ROOM_INVITEES} memberIds each`,
        `  latencies in ms to the poll response body arriving at the client, per waiter, from:`,
        `    at   = the event's \`at\` (PostgreSQL now() in the writing transaction; same host clock)`,
        `    ret  = the creating request's response arriving (negative: the poll was answered first)`,
        `    sent = the creating request being sent (includes queueing on node A; for invites the whole 100-invite request)`,
        `  cpu = CPU used by the node process; runq = time its main thread was runnable but waiting for a core (share of the round)`,
        "",
        `  round kind     woken      at p50   p95   p99   max |  ret p50   p99 |  sent p50   p99    max | create ms  ev/s  deliver ms | A cpu/runq  B cpu/runq | client lag p99 | load`,
      );
      for (const r of rounds) {
        out.push(
          `  ${String(r.round).padStart(5)} ${r.kind.padEnd(8)} ${`${r.woken}/${r.waiters}`.padStart(9)} ` +
            `${f1(r.fromAt.p50).padStart(7)} ${f1(r.fromAt.p95).padStart(5)} ${f1(r.fromAt.p99).padStart(5)} ${f1(r.fromAt.max).padStart(5)} | ` +
            `${f1(r.fromReturned.p50).padStart(8)} ${f1(r.fromReturned.p99).padStart(5)} | ` +
            `${f1(r.fromSent.p50).padStart(9)} ${f1(r.fromSent.p99).padStart(5)} ${f1(r.fromSent.max).padStart(6)} | ` +
            `${f0(r.createMs).padStart(9)} ${f0((r.waiters / r.createMs) * 1000).padStart(5)} ${f0(r.deliverMs).padStart(11)} | ` +
            `${`${f0(r.aCpuPct)}%/${f0(r.aWaitPct)}%`.padStart(10)} ${`${f0(r.bCpuPct)}%/${f0(r.bWaitPct)}%`.padStart(11)} | ${f1(r.clientLagP99).padStart(14)} | ${r.load}`,
        );
      }
      out.push(
        "",
        `  where the time goes (from the wake message on Redis, seen by a subscriber in this client):`,
        `  round kind     at->wake p50   p99    max | wake->poll p50   p99    max`,
      );
      for (const r of rounds) {
        out.push(
          `  ${String(r.round).padStart(5)} ${r.kind.padEnd(8)} ${f1(r.atToWake.p50).padStart(12)} ${f1(r.atToWake.p99).padStart(5)} ${f1(r.atToWake.max).padStart(6)} | ` +
            `${f1(r.wakeToPoll.p50).padStart(14)} ${f1(r.wakeToPoll.p99).padStart(5)} ${f1(r.wakeToPoll.max).padStart(6)}`,
        );
      }
      out.push("", "  PostgreSQL backends of chat_bench_feed while creating (state/wait: mean count per 100 ms sample):");
      for (const r of rounds) out.push(`  ${String(r.round).padStart(5)} ${r.kind.padEnd(8)} ${r.pgBusy}`);
      for (const r of rounds) {
        if (r.createErrors !== "none" || r.pollProblems !== "none") out.push(`  round ${r.round}: create errors: ${r.createErrors}; poll problems: ${r.pollProblems}`);
        if (r.woken < r.waiters) exitCode = 1;
      }
      const worst = (kind: string) => Math.max(...rounds.filter((r) => r.kind === kind).map((r) => r.fromAt.p99));
      out.push(
        "",
        `  goal "p99 event -> poll response under 100 ms" (from \`at\`): worst round p99 ${f1(worst("friends"))} ms (friends), ${f1(worst("invites"))} ms (invites)`,
      );
    }
    out.push("");
    for (const n of nodes) out.push(`  node ${n.name} warnings/errors: ${[...n.problems].map(([k, v]) => `${v} x ${k}`).join("; ") || "none"}`);
    out.push(
      `  machine: ${cpus().length} CPUs shared by this client, both nodes, PostgreSQL and Redis (and whatever else runs); load average now ${load()}`,
      "",
      "Commands:",
      `  ulimit -n ${Math.max(POLLS + 2000, 20000)}   # each held poll is one fd here and one in the node`,
      `  npx tsx bench/feed.ts --polls ${POLLS} --waiters ${WAITERS} --rounds ${FRIEND_ROUNDS} --invite-rounds ${INVITE_ROUNDS} --concurrency ${CONCURRENCY} --hold ${HOLD_S}`,
    );
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? err}`);
    exitCode = 1;
  }
  process.stdout.write(`\n${out.join("\n")}\n`);
  cleaning ??= cleanup();
  await cleaning;
  log(`done in ${f0((Date.now() - started) / 1000)} s`);
  process.exit(exitCode);
}

void main();
