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
import { randomBytes, randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { io, type Socket } from "socket.io-client";
import { fetchJson, signUp } from "./lib/api-client.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { loadAverage } from "./lib/machine-load.js";
import { NodeSuite, type HttpNode } from "./lib/node-suite.js";
import { summarize } from "./lib/percentiles.js";

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
const database = new BenchDatabase("chat_bench_signaling", adminUrlFrom("BENCH_PG_URL", "TEST_PG_URL"));
const redisUrl = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startNode(suite: NodeSuite, name: string, dataDir: string, jwtSecret: string): Promise<HttpNode> {
  return suite.startApp({
    name,
    inheritEnv: true,
    output: { stdout: "inherit", stderr: "inherit" },
    env: { DATA_DIR: dataDir, DATABASE_URL: database.url, REDIS_URL: redisUrl, JWT_SECRET: jwtSecret, LOG_LEVEL: "warn", BCRYPT_COST: "4" },
  });
}

function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: [TRANSPORT], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

const fmt = (ms: number) => ms.toFixed(2);

async function main() {
  const suite = new NodeSuite();
  const jwtSecret = randomBytes(48).toString("base64url");
  await database.recreate();
  try {
    // One after the other: the first applies the migrations.
    const dataDir = await suite.tempDir("chat-bench-signaling-");
    const one = await startNode(suite, "node1", dataDir, jwtSecret);
    const two = await startNode(suite, "node2", dataDir, jwtSecret);
    const signup = (name: string) => signUp(one.url, { email: `${name}-${randomUUID()}@example.test`, password: "benchmark password", displayName: name });
    const [ann, bob] = await Promise.all([signup("Ann"), signup("Bob")]);
    const { room } = await fetchJson(`${one.url}/api/rooms`, { json: { type: "direct", userId: bob.user.id }, token: ann.accessToken });
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

    const relayMs = summarize(relay);
    const ackMs = summarize(ackRtt);
    const lost = total - received;
    const p99 = relayMs.p99;
    const report = {
      signals: COUNT,
      ratePerSecond: RATE,
      achievedPerSecond: Math.round(total / elapsed),
      payloadBytes: SIZE,
      transport: TRANSPORT,
      relayMs: { p50: fmt(relayMs.p50), p90: fmt(relayMs.p90), p99: fmt(p99), max: fmt(relayMs.max) },
      ackMs: { p50: fmt(ackMs.p50), p99: fmt(ackMs.p99) },
      failedAcks: failures,
      lost,
      machine: `${cpus().length} cores, load ${loadAverage()}`,
    };
    console.log(JSON.stringify(report, null, 2));
    log(`relay p50 ${report.relayMs.p50} ms, p99 ${report.relayMs.p99} ms (goal < 20 ms: ${p99 < 20 ? "met" : "MISSED"}); ${lost} lost, ${failures} failed acks`);
    if (lost || failures) process.exitCode = 1;
  } finally {
    await suite.stopAll();
    await database.drop().catch(() => {});
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
