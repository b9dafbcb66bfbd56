// Outgoing webhooks under chat traffic: ONE app node on real PostgreSQL, 100 group rooms, messages
// POSTed at a fixed total rate, first with no webhook (the baseline), then with an outgoing webhook
// on every room delivering to a receiver in this process (127.0.0.1).
//   npx tsx bench/webhooks.ts [--rate 500] [--rooms 100] [--duration 20] [--warmup 5] [--keep-db]
// Prints, per run: messages sent and acked, the node's CPU per message, and with webhooks the
// deliveries per second at the receiver, event-to-delivery latency (message.createdAt on the node
// to its arrival here; one clock) p50/p99, and how long the backlog took to drain after the load.
// The bench database chat_bench_webhooks (BENCH_DB_WEBHOOKS) is dropped and recreated each run.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { fetchJson, requestJson, signUp } from "./lib/api-client.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { busyPercent, loadAverage, machineTicks } from "./lib/machine-load.js";
import { mapConcurrently } from "./lib/map-concurrently.js";
import { NodeSuite } from "./lib/node-suite.js";
import { summarize } from "./lib/percentiles.js";
import { processCpu } from "./lib/proc-stats.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const RATE = Number(opt("rate", "500"));
const ROOMS = Number(opt("rooms", "100"));
const DURATION_S = Number(opt("duration", "20"));
const WARMUP_S = Number(opt("warmup", "5"));
// After the load stops, how long the receiver may take to get the rest.
const DRAIN_LIMIT_MS = 120_000;
const db = new BenchDatabase(process.env.BENCH_DB_WEBHOOKS || "chat_bench_webhooks", adminUrlFrom("BENCH_PG_URL"));
const suite = new NodeSuite();
const hardStop = setTimeout(() => {
  console.error("hard cap reached: killing children");
  suite.killAllNow();
  process.exit(3);
}, (2 * (WARMUP_S + DURATION_S) + 400) * 1000).unref();

/** The webhook target: answers 204 at once, and notes when each message's event arrived. */
class Receiver {
  arrivals: { at: number; createdAt: number; id: string }[] = [];
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      const event = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (event.data?.message) this.arrivals.push({ at, createdAt: Date.parse(event.data.message.createdAt), id: event.id });
      res.writeHead(204).end();
    });
  });
  port = 0;
  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }
  stop() {
    this.server.closeAllConnections();
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Sender {
  token: string;
  roomId: string;
}

/** POSTs messages at `rate` per second over the senders, round-robin, for `seconds`; returns what was acked. */
async function drive(appUrl: string, senders: Sender[], rate: number, seconds: number, tag: string): Promise<{ sent: number; acked: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = (roomId: string) => new URL(`${appUrl}/api/rooms/${roomId}/messages`);
  const total = Math.round(rate * seconds);
  const started = performance.now();
  let acked = 0;
  let errors = 0;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const s = senders[i % senders.length]!;
    inflight.push(
      requestJson(agent, url(s.roomId), "POST", s.token, { clientMsgId: `${tag}-${i}`, text: `bench ${tag} ${i}` }).then((r) => {
        if (r.status === 201) acked++;
        else errors++;
      }),
    );
  }
  await Promise.all(inflight);
  agent.destroy();
  return { sent: total, acked, errors };
}

async function main() {
  await db.recreate();
  const receiver = new Receiver();
  await receiver.start();
  const app = await suite.startApp({
    name: "app",
    env: {
      NODE_ENV: "production",
      DATABASE_URL: db.url,
      LOG_LEVEL: "warn",
      BCRYPT_COST: "4",
      JWT_SECRET: "webhooks-bench-jwt-secret-0123456789abcdef0123",
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      RATE_LIMIT_USER_PER_SECOND: "1000000",
      RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
      WEBHOOK_ALLOW_PRIVATE: "true",
      WEBHOOK_ALLOW_HTTP: "true",
    },
    readyTimeoutMs: 90_000,
  });
  const pid = app.child.pid!;
  const tag = Date.now().toString(36);
  // One owner per room, each sending into their own room: the per-user limit is per user.
  const owners = await mapConcurrently(ROOMS, 20, async (i) => {
    const u = await signUp(app.url, { email: `wh-${tag}-${i}@example.test`, password: "bench password 123", displayName: `Bench ${i}` });
    const room = await fetchJson(`${app.url}/api/rooms`, { json: { type: "group", name: `webhook room ${i}` }, token: u.accessToken });
    return { token: u.accessToken as string, roomId: room.room.id as string };
  });

  console.log(`webhooks bench: ${ROOMS} rooms, ${RATE} messages/s, ${WARMUP_S} s warm-up + ${DURATION_S} s measured per run; load average ${loadAverage()}`);
  const measure = async (label: string) => {
    const cpu0 = processCpu(pid)!.cpuMs;
    const ticks0 = machineTicks();
    const t0 = Date.now();
    const r = await drive(app.url, owners, RATE, DURATION_S, `${label}-${tag}`);
    const t1 = Date.now();
    const cpu = processCpu(pid)!.cpuMs - cpu0;
    return { ...r, t0, t1, cpu0, cpuMs: cpu, busy: busyPercent(ticks0, machineTicks()) };
  };

  // 1. Without webhooks.
  await drive(app.url, owners, RATE, WARMUP_S, `warm-${tag}`);
  const plain = await measure("plain");
  console.log(
    `  no webhooks:   ${plain.acked}/${plain.sent} acked (${plain.errors} errors) in ${((plain.t1 - plain.t0) / 1000).toFixed(1)} s; ` +
      `node CPU ${(plain.cpuMs / plain.acked).toFixed(3)} ms/message (${((100 * plain.cpuMs) / (plain.t1 - plain.t0)).toFixed(0)}% of a core); machine ${plain.busy.toFixed(0)}% busy`,
  );

  // 2. An outgoing webhook on every room.
  await mapConcurrently(owners.length, 20, async (i) => {
    const o = owners[i]!;
    await fetchJson(`${app.url}/api/rooms/${o.roomId}/webhooks`, { json: { kind: "outgoing", targetUrl: `http://127.0.0.1:${receiver.port}/hook`, events: ["message.created"] }, token: o.token });
  });
  await drive(app.url, owners, RATE, WARMUP_S, `warmhook-${tag}`);
  const warmDeadline = Date.now() + DRAIN_LIMIT_MS;
  while (receiver.arrivals.length < RATE * WARMUP_S && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 100));
  receiver.arrivals = [];
  const hooked = await measure("hooked");
  const drainStart = Date.now();
  while (receiver.arrivals.length < hooked.acked && Date.now() - drainStart < DRAIN_LIMIT_MS) await new Promise((r) => setTimeout(r, 50));
  const drained = Date.now();
  const cpuWithDrain = processCpu(pid)!.cpuMs - hooked.cpu0;
  const arrivals = receiver.arrivals;
  const inWindow = arrivals.filter((a) => a.at >= hooked.t0 && a.at <= hooked.t1).length;
  const latency = summarize(arrivals.map((a) => a.at - a.createdAt));
  console.log(
    `  with webhooks: ${hooked.acked}/${hooked.sent} acked (${hooked.errors} errors); node CPU ${(hooked.cpuMs / hooked.acked).toFixed(3)} ms/message during the load ` +
      `(${((100 * hooked.cpuMs) / (hooked.t1 - hooked.t0)).toFixed(0)}% of a core); machine ${hooked.busy.toFixed(0)}% busy`,
  );
  console.log(
    `                 deliveries: ${arrivals.length} of ${hooked.acked} events, ${(inWindow / ((hooked.t1 - hooked.t0) / 1000)).toFixed(0)}/s during the load, ` +
      `${(arrivals.length / ((drained - hooked.t0) / 1000)).toFixed(0)}/s overall; backlog drained ${((drained - hooked.t1) / 1000).toFixed(1)} s after the load`,
  );
  console.log(`                 event-to-delivery: p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms (n=${latency.n})`);
  console.log(`                 node CPU through the drain: ${(cpuWithDrain / hooked.acked).toFixed(3)} ms/message`);
  await receiver.stop();
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await suite.stopAll();
    if (!args.includes("--keep-db")) await db.drop().catch(() => {});
    clearTimeout(hardStop);
  });
