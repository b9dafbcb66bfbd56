// Call signaling relay latency across nodes: Ann's socket on node 1 sends call:signal to Bob,
// whose socket is on node 2; the figure is the time from Ann's emit to Bob's receipt (both
// clients live in this process, so one clock measures it), through node 1, Redis pub/sub and
// node 2. Goal: p99 under 20 ms.
//
//   npm run bench:signaling                          4,000 signals at 200/s after 500 warm-up ones
//   npm run bench:signaling -- --rate 1000 --count 10000 --size 2000
//
// It creates (drops and re-creates) the database `chat_bench_signaling`, starts two nodes as
// child processes (`node --import tsx src/main.ts`) on one PostgreSQL and one Redis, signs two
// users up, puts both in a direct room's call, measures, prints, stops the nodes and drops the
// database. Admin connection: BENCH_PG_URL, else TEST_PG_URL, else the local server; Redis:
// BENCH_REDIS_URL, else TEST_REDIS_URL, else the local server.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { io, type Socket } from "socket.io-client";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "4000" },
    warmup: { type: "string", default: "500" },
    rate: { type: "string", default: "200" },
    // An ICE candidate is ~150 bytes of JSON, an SDP offer 2–10 KB.
    size: { type: "string", default: "200" },
    transport: { type: "string", default: "websocket" },
  },
});
const COUNT = Number(args.count);
const WARMUP = Number(args.warmup);
const RATE = Number(args.rate);
const SIZE = Number(args.size);
const TRANSPORT = args.transport as "websocket" | "polling";
const DB_NAME = "chat_bench_signaling";
const adminUrl = process.env.BENCH_PG_URL || process.env.TEST_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const redisUrl = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${DB_NAME}` }).toString();

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function startNode(dataDir: string, jwtSecret: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: dbUrl, REDIS_URL: redisUrl, JWT_SECRET: jwtSecret, LOG_LEVEL: "warn", BCRYPT_COST: "4" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error("node not ready in time");
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) return { url, child };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
}

async function json(url: string, body?: unknown, token?: string) {
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await res.json()) as any;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: [TRANSPORT], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const fmt = (ms: number) => ms.toFixed(2);

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), "chat-bench-signaling-"));
  const jwtSecret = randomBytes(48).toString("base64url");
  await admin(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${DB_NAME}"`);
  const nodes: ChildProcess[] = [];
  try {
    // One after the other: the first applies the migrations.
    const one = await startNode(dataDir, jwtSecret);
    nodes.push(one.child);
    const two = await startNode(dataDir, jwtSecret);
    nodes.push(two.child);
    const signup = (name: string) => json(`${one.url}/api/auth/signup`, { email: `${name}-${randomUUID()}@example.test`, password: "benchmark password", displayName: name });
    const [ann, bob] = await Promise.all([signup("Ann"), signup("Bob")]);
    const { room } = await json(`${one.url}/api/rooms`, { type: "direct", userId: bob.user.id }, ann.accessToken);
    const annSock = await connect(one.url, ann.accessToken);
    const bobSock = await connect(two.url, bob.accessToken);
    for (const s of [annSock, bobSock]) {
      const ack = await s.timeout(5_000).emitWithAck("call:join", { roomId: room.id });
      if (!ack.ok) throw new Error(`call:join: ${JSON.stringify(ack)}`);
    }

    const sentAt = new Map<number, number>();
    const relay: number[] = [];
    const ackRtt: number[] = [];
    let received = 0;
    let failures = 0;
    bobSock.on("call:signal", (s: { data: { i: number } }) => {
      const t = performance.now();
      const start = sentAt.get(s.data.i);
      if (start === undefined) return;
      sentAt.delete(s.data.i);
      received++;
      if (s.data.i >= WARMUP) relay.push(t - start);
    });
    const pad = "c".repeat(Math.max(0, SIZE - 40));
    const total = WARMUP + COUNT;
    const intervalMs = 1000 / RATE;
    log(`two nodes up; sending ${WARMUP} warm-up + ${COUNT} signals of ~${SIZE} B at ${RATE}/s (${TRANSPORT})`);
    const began = performance.now();
    const acks: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      // Paced against the schedule, not the previous send, so a slow moment does not lower the rate.
      const due = began + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const t = performance.now();
      sentAt.set(i, t);
      acks.push(
        annSock
          .timeout(10_000)
          .emitWithAck("call:signal", { roomId: room.id, toUserId: bob.user.id, kind: "candidate", data: { i, candidate: pad } })
          .then(
            (ack: { ok: boolean }) => {
              if (!ack.ok) failures++;
              else if (i >= WARMUP) ackRtt.push(performance.now() - t);
            },
            () => void failures++,
          ),
      );
    }
    await Promise.all(acks);
    const deadline = Date.now() + 10_000;
    while (received < total && Date.now() < deadline) await sleep(20);
    const elapsed = (performance.now() - began) / 1000;
    annSock.close();
    bobSock.close();

    relay.sort((x, y) => x - y);
    ackRtt.sort((x, y) => x - y);
    const lost = total - received;
    const p99 = pct(relay, 99);
    const report = {
      signals: COUNT,
      ratePerSecond: RATE,
      achievedPerSecond: Math.round(total / elapsed),
      payloadBytes: SIZE,
      transport: TRANSPORT,
      relayMs: { p50: fmt(pct(relay, 50)), p90: fmt(pct(relay, 90)), p99: fmt(p99), max: fmt(relay.at(-1)!) },
      ackMs: { p50: fmt(pct(ackRtt, 50)), p99: fmt(pct(ackRtt, 99)) },
      failedAcks: failures,
      lost,
      machine: `${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    };
    console.log(JSON.stringify(report, null, 2));
    log(`relay p50 ${report.relayMs.p50} ms, p99 ${report.relayMs.p99} ms (goal < 20 ms: ${p99 < 20 ? "met" : "MISSED"}); ${lost} lost, ${failures} failed acks`);
    if (lost || failures) process.exitCode = 1;
  } finally {
    for (const child of nodes) child.kill("SIGTERM");
    await Promise.all(nodes.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)));
    await admin(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
