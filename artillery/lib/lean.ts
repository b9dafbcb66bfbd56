// The lean load generators, for where Artillery (one worker thread on a 2-core machine) becomes the
// bottleneck: Socket.IO chat and connection counts through bench/chat-worker.ts (plain
// socket.io-client in worker threads, the same generator bench/chat.ts uses), long-polls with
// node:http, and the REST friend list with autocannon.

import { randomUUID } from "node:crypto";
import http from "node:http";
import { performance } from "node:perf_hooks";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { requestJson } from "../../bench/lib/api-client.js";
import { autocannon, type AutocannonResult } from "../../bench/lib/autocannon.js";
import { newHist, percentile, record, count, type Hist } from "../../bench/lib/latency-histogram.js";
import { mapConcurrently } from "../../bench/lib/map-concurrently.js";
import { combine } from "../../bench/chat-report.js";
import type { Member, StepResult, WorkerCmd, WorkerReply } from "../../bench/chat-worker.js";
import type { Monitor } from "./monitor.js";
import type { Latency, Scenario, StepReport } from "./report.js";
import type { Seeded } from "./seed.js";
import { log, sleep, type Backend } from "./stack.js";

const now = () => performance.timeOrigin + performance.now();
const PAD = "the quick brown fox jumps over the lazy dog";

export function latencyOf(h: Hist): Latency {
  return { p50: percentile(h, 50), p95: percentile(h, 95), p99: percentile(h, 99), max: percentile(h, 100), count: count(h) };
}

export interface RunCtx {
  target: "ours" | "bare";
  nodes: number;
  url: string;
  monitor: Monitor;
  /** The app nodes (or the bare server). */
  backends: Backend[];
}

// ------------------------------------------------------------------ Socket.IO: bench/chat-worker.ts threads

/**
 * bench/chat-worker.ts in `n` generator processes (artillery/lib/gen-host.mjs, one worker thread
 * each): the same generator as bench/chat.ts, spread over processes so that no process needs more
 * file descriptors than its limit allows.
 */
class ChatWorkers {
  private readonly ps: ChildProcess[];
  private readonly waiting: ((r: WorkerReply) => void)[][];
  constructor(n: number, monitor: Monitor) {
    this.ps = Array.from({ length: n }, () =>
      fork(fileURLToPath(new URL("./gen-host.mjs", import.meta.url)), [], { serialization: "advanced", execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] }));
    this.waiting = this.ps.map(() => []);
    this.ps.forEach((p, i) => {
      monitor.watch(`gen${i + 1}`, p.pid!);
      p.on("message", (r: WorkerReply) => this.waiting[i]!.shift()?.(r));
      p.on("exit", (code) => {
        if (code) {
          console.error(`generator process ${i + 1} exited with ${code}`);
          process.exitCode = 1;
        }
      });
    });
  }
  ask<R extends WorkerReply>(cmd: WorkerCmd | ((i: number) => WorkerCmd)): Promise<R[]> {
    return Promise.all(this.ps.map((p, i) => new Promise<R>((resolve) => {
      this.waiting[i]!.push(resolve as (r: WorkerReply) => void);
      p.send(typeof cmd === "function" ? cmd(i) : cmd);
    })));
  }
  async terminate() {
    await Promise.all(this.ps.map((p) => new Promise<void>((resolve) => {
      if (p.exitCode !== null || p.signalCode !== null) return resolve();
      p.once("exit", () => resolve());
      p.kill("SIGTERM");
      setTimeout(() => p.kill("SIGKILL"), 5_000).unref();
    })));
  }
}

type Mem = Map<string, { rss: number; heap: number; sockets: number }>;

/** Every backend after a full GC (RSS, live heap) and its sockets (its /metrics gauge; the bare server: all of them). */
export async function memory(ctx: RunCtx, totalSockets: number): Promise<Mem> {
  const samples = await Promise.all(ctx.backends.map((b) => b.proc.gc()));
  await ctx.monitor.sample();
  return new Map(ctx.backends.map((b, i) => {
    const g = samples[i];
    const gauge = ctx.monitor.latestSockets(b.name);
    return [b.name, {
      rss: g?.rss ?? ctx.monitor.latestRss(b.name), heap: g ? g.heapUsed + g.external : NaN,
      sockets: b.metrics && !Number.isNaN(gauge) ? gauge : totalSockets / ctx.backends.length,
    }];
  }));
}

export function perSocket(from: Mem, to: Mem): { name: string; sockets: number; kb: number; heapKb: number }[] {
  return [...to].map(([name, t]) => {
    const f = from.get(name)!;
    const n = Math.max(1, t.sockets - f.sockets);
    return { name, sockets: t.sockets, kb: (t.rss - f.rss) / 1024 / n, heapKb: (t.heap - f.heap) / 1024 / n };
  });
}

export function chatMembers(s: Seeded): Member[] {
  return s.rooms.flatMap((r) => r.members.map((u) => ({ token: s.users[u]!.token, roomId: r.id, send: true, roomSize: r.members.length })));
}

export interface LeanChatOpts {
  scenario: Extract<Scenario, "chat" | "connections">;
  members: Member[];
  /** Total message:send per second, one step each; connections: one step (the hold). */
  rates: number[];
  /** Stop climbing at the first step that fails after one passed (auto ladder). */
  stopOnFail: boolean;
  p99GoalMs: number;
  warmupS: number;
  durationS: number;
  receipts: boolean;
  /** Generator processes (one bench/chat-worker.ts thread each). */
  workers: number;
  connectConcurrency: number;
  ackTimeoutMs: number;
  deadline: number; // epoch ms: steps that would end later are skipped
  onStep: (r: StepReport) => void;
  /**
   * Where each member connects: a node's own URL (rooms placed on nodes, so each node serves its
   * share of the rooms: --redis runs), or by default HAProxy's (members spread over the nodes).
   */
  urlOf?: (m: Member) => string;
}

/** Connects every member (token, room:join), then runs each rate step on the same sockets. */
export async function leanChat(ctx: RunCtx, o: LeanChatOpts): Promise<StepReport[]> {
  const workers = new ChatWorkers(o.workers, ctx.monitor);
  const reports: StepReport[] = [];
  try {
    const mem0 = await memory(ctx, 0);
    const t0 = now();
    let sockets = 0;
    let failed = 0;
    let firstError: string | undefined;
    const connect = async (all: Member[]) => {
      const byUrl = new Map<string, Member[]>();
      for (const m of all) {
        const url = o.urlOf?.(m) ?? ctx.url;
        byUrl.set(url, [...(byUrl.get(url) ?? []), m]);
      }
      log(`[${ctx.target}] connecting ${all.length} sockets ${o.urlOf ? `straight to the nodes, each room's members to one node (${byUrl.size} nodes)` : "through HAProxy"} (${o.workers} generator processes, ${o.connectConcurrency} connects in flight each)`);
      for (const [url, members] of byUrl) {
        const connected = await workers.ask<Extract<WorkerReply, { type: "connected" }>>((i) => ({
          cmd: "connect", url, members: members.filter((_, k) => k % o.workers === i), concurrency: o.connectConcurrency,
        }));
        // Each reply counts every socket its process holds, and the failures of this call.
        sockets = connected.reduce((x, c) => x + c.sockets, 0);
        failed += connected.reduce((x, c) => x + c.failed, 0);
        firstError ??= connected.find((c) => c.firstError)?.firstError;
      }
    };
    // Memory per socket, measured at the margin: from a tenth of the sockets to all of them, each
    // time after a full GC in every node, so that neither garbage nor the warm-up (JIT, pools, the
    // first heap growth) is charged to the sockets. The overall growth is given too.
    const firstPart = o.scenario === "connections" ? Math.min(o.members.length, Math.max(100, Math.round(o.members.length / 10))) : 0;
    let mark: Mem | undefined;
    if (firstPart > 0 && firstPart < o.members.length) {
      await connect(o.members.slice(0, firstPart));
      await sleep(3_000);
      mark = await memory(ctx, sockets);
    }
    await connect(o.members.slice(mark ? firstPart : 0));
    const connectSeconds = (now() - t0) / 1000;
    log(`[${ctx.target}] ${sockets} sockets connected and joined in ${connectSeconds.toFixed(1)} s${failed ? `, ${failed} FAILED (first: ${firstError})` : ""}`);
    await sleep(5_000);
    const memAll = await memory(ctx, sockets);
    const perSocketKb = perSocket(mark ?? mem0, memAll);
    const overall = perSocket(mem0, memAll).map((p) => `${p.name} ${p.kb.toFixed(1)} KB RSS, ${p.heapKb.toFixed(1)} KB heap`).join("; ");
    if (failed > o.members.length / 100) throw new Error(`${failed} of ${o.members.length} sockets failed to connect (first: ${firstError})`);
    const senders = sockets;
    let passedOne = false;
    for (const rate of o.rates) {
      const stepMs = (o.warmupS + o.durationS + 3) * 1000 + o.ackTimeoutMs;
      if (Date.now() + stepMs > o.deadline) {
        log(`[${ctx.target}] step ${rate}/s skipped: the run's time cap (--max-seconds) would be passed`);
        continue;
      }
      const startAt = now() + 500;
      const from = startAt + o.warmupS * 1000;
      const to = from + o.durationS * 1000;
      const drained = workers.ask({
        cmd: "step",
        spec: { ratePerSender: rate / Math.max(1, senders), startAt, warmupMs: o.warmupS * 1000, measureMs: o.durationS * 1000, ackTimeoutMs: o.ackTimeoutMs, receipts: o.receipts },
      });
      await drained;
      await sleep(300);
      const results = await workers.ask<Extract<WorkerReply, { type: "result" }>>({ cmd: "collect" });
      const r: StepResult = combine(results.map((x) => x.result));
      const window = ctx.monitor.window(from, to);
      const errorDetail: string[] = [];
      if (failed) errorDetail.push(`${failed} sockets failed to connect or join (first: ${firstError})`);
      if (Object.keys(r.errorCodes).length) errorDetail.push(`non-ok acks ${JSON.stringify(r.errorCodes)}`);
      if (r.ackTimeouts) errorDetail.push(`${r.ackTimeouts} ack timeouts (${o.ackTimeoutMs} ms)`);
      if (r.receiptsFailed) errorDetail.push(`${r.receiptsFailed} receipt:read failed`);
      const notes: string[] = [];
      if (reports.length === 0 && o.scenario === "connections") {
        notes.push(`memory per socket above is marginal (growth after a full GC from ${firstPart} to all sockets); overall since before connecting: ${overall}`);
      }
      if (r.skippedSends) notes.push(`the generator fell behind and dropped ${r.skippedSends} sends (generator-bound: the figure is the generator's, not the server's)`);
      if (r.loopDelayP99Ms > 50) notes.push(`generator event-loop delay p99 ${r.loopDelayP99Ms.toFixed(0)} ms: latencies include generator lag`);
      const report: StepReport = {
        target: ctx.target, tool: "lean", scenario: o.scenario, nodes: ctx.nodes, offered: rate, seconds: o.durationS,
        users: o.members.length, connected: sockets, connectFailed: failed, connectSeconds,
        sentPerS: r.sentInWindow / o.durationS, okPerS: r.ackOk / o.durationS, deliveredPerS: r.delivered / o.durationS,
        expected: r.expectedDeliveries, delivered: r.delivered, missing: Math.max(0, r.expectedDeliveries - r.delivered),
        errors: r.ackFailed + r.ackTimeouts + r.receiptsFailed, errorDetail,
        latencyOf: "send time in the message -> message:new at each member socket (sender echo included)",
        latency: latencyOf(r.deliveryHist), ackLatency: latencyOf(r.ackHist),
        ...(o.receipts ? { receipts: { ok: r.receiptsOk, failed: r.receiptsFailed, updates: r.receiptUpdates } } : {}),
        window, ...(reports.length === 0 ? { perSocketKb } : {}), notes,
      };
      reports.push(report);
      o.onStep(report);
      const ok = report.errors === 0 && report.missing === 0 && report.latency.p99 < o.p99GoalMs && r.ackOk >= 0.95 * rate * o.durationS;
      if (!ok && o.stopOnFail && passedOne) {
        log(`[${ctx.target}] ${rate}/s missed the goal (p99 < ${o.p99GoalMs} ms, no errors, >= 95% acked): higher steps skipped`);
        break;
      }
      passedOne ||= ok;
      await sleep(2_000);
    }
    if (o.scenario === "connections" && reports[0]) {
      const end = perSocket(mark ?? mem0, await memory(ctx, sockets));
      reports[0].notes.push(`memory per socket again at the end of the hold (after a full GC): ${end.map((p) => `${p.name} ${p.kb.toFixed(1)} KB RSS, ${p.heapKb.toFixed(1)} KB heap`).join("; ")}`);
      console.log(`    note: ${reports[0].notes.at(-1)}`);
    }
    await workers.ask({ cmd: "close" });
  } finally {
    await workers.terminate();
  }
  return reports;
}

// ------------------------------------------------------------------ long-poll event feed

export interface FeedOpts {
  seeded: Seeded;
  rate: number;
  warmupS: number;
  durationS: number;
  pollTimeoutS: number;
  concurrency: number;
}

interface PollerState {
  user: number;
  room: number;
  cursor: string | null;
  seenSeq: number;
}

/**
 * Messages posted in the members' rooms at `rate` (POST /api/rooms/:id/messages, the text carrying the
 * send time, round-robin over rooms and members), through HAProxy. Runs beside any poll generator.
 */
export class Producer {
  readonly hist = newHist();
  sent = 0;
  ok = 0;
  readonly errors = new Map<string, number>();
  readonly lastSeq: number[];
  private stopped = false;
  private outstanding = 0;
  private skipped = 0;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly url: string,
    private readonly seeded: Seeded,
    private readonly rate: number,
    private readonly win: { from: number; to: number },
  ) {
    this.lastSeq = seeded.rooms.map(() => 0);
  }

  get skippedSends() {
    return this.skipped;
  }

  async run(until: number): Promise<void> {
    const start = now();
    let n = 0;
    const base = new URL(this.url);
    while (!this.stopped && now() < until) {
      const due = Math.floor((this.rate * (now() - start)) / 1000);
      for (; n < due; n++) {
        if (this.outstanding > 2_000) {
          this.skipped++;
          continue;
        }
        const room = n % this.seeded.rooms.length;
        const members = this.seeded.rooms[room]!.members;
        const sender = members[Math.floor(n / this.seeded.rooms.length) % members.length]!;
        const t = now();
        const inWin = t >= this.win.from && t < this.win.to;
        if (inWin) this.sent++;
        this.outstanding++;
        const u = new URL(`/api/rooms/${this.seeded.rooms[room]!.id}/messages`, base);
        void requestJson(this.agent, u, "POST", this.seeded.users[sender]!.token, { clientMsgId: randomUUID(), text: `${t.toFixed(3)}|${PAD}` }).then((r) => {
          this.outstanding--;
          const seq = r.body?.message?.seq;
          if (typeof seq === "number" && seq > this.lastSeq[room]!) this.lastSeq[room] = seq;
          if (!inWin) return;
          if (r.status === 201 || r.status === 200) {
            this.ok++;
            record(this.hist, now() - t);
          } else {
            const k = r.error ?? String(r.status);
            this.errors.set(k, (this.errors.get(k) ?? 0) + 1);
          }
        });
      }
      await sleep(2);
    }
    const deadline = now() + 10_000;
    while (this.outstanding > 0 && now() < deadline) await sleep(20);
    this.agent.destroy();
  }

  stop() {
    this.stopped = true;
  }
}

/** Every user holds a long-poll on GET /api/events (chained cursors) while the producer posts messages. */
export async function leanFeed(ctx: RunCtx, o: FeedOpts): Promise<StepReport> {
  const base = new URL(ctx.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const users = o.seeded.users;
  const roomOf = new Array<number>(users.length);
  o.seeded.rooms.forEach((r, i) => r.members.forEach((u) => (roomOf[u] = i)));
  const pollers: PollerState[] = users.map((_, u) => ({ user: u, room: roomOf[u]!, cursor: null, seenSeq: 0 }));
  const hist = newHist();
  const errors = new Map<string, number>();
  let delivered = 0;
  let polls = 0;
  let gone = 0;
  let stopAt = Infinity;
  const win = { from: Infinity, to: -Infinity };
  const fail = (k: string) => errors.set(k, (errors.get(k) ?? 0) + 1);

  // Each poller first takes the cursor of "now" (GET /api/events without one).
  const t0 = now();
  await mapConcurrently(pollers.length, o.concurrency, async (i) => {
    const p = pollers[i]!;
    const r = await requestJson(agent, new URL("/api/events", base), "GET", users[p.user]!.token);
    if (r.status === 200 && typeof r.body?.cursor === "string") p.cursor = r.body.cursor;
    else fail(`initial poll ${r.error ?? r.status}`);
  });
  const connectSeconds = (now() - t0) / 1000;

  async function chain(p: PollerState) {
    while (now() < stopAt) {
      const timeout = Math.max(1, Math.min(o.pollTimeoutS, Math.floor((stopAt - now()) / 1000)));
      const path = p.cursor ? `/api/events?cursor=${encodeURIComponent(p.cursor)}&timeout=${timeout}` : "/api/events";
      const r = await requestJson(agent, new URL(path, base), "GET", users[p.user]!.token);
      const at = now();
      if (r.error && now() >= stopAt) return; // torn down at the end
      polls++;
      if (r.status === 200) {
        p.cursor = r.body?.cursor ?? p.cursor;
        for (const ev of r.body?.events ?? []) {
          if (ev?.type !== "room.updated") continue;
          const m = ev.data?.room?.lastMessage;
          if (typeof m?.seq === "number" && m.seq > p.seenSeq) p.seenSeq = m.seq;
          const t = parseFloat(m?.text);
          if (t >= win.from && t < win.to) {
            delivered++;
            record(hist, at - t);
          }
        }
      } else if (r.status === 410) {
        gone++;
        p.cursor = null;
      } else {
        fail(r.error ?? `HTTP ${r.status}`);
        await sleep(200);
      }
    }
  }

  const chains = pollers.filter((p) => p.cursor).map((p) => chain(p));
  // Wait until the polls are held (the nodes' events_held_polls), then produce.
  const heldBy = now() + 30_000;
  for (;;) {
    await ctx.monitor.sample();
    const w = ctx.monitor.window(Date.now() - 1_500, Date.now());
    if (w.peakPolls >= 0.98 * chains.length || now() > heldBy) break;
    await sleep(500);
  }
  const sendFrom = now();
  win.from = sendFrom + o.warmupS * 1000;
  win.to = win.from + o.durationS * 1000;
  const producer = new Producer(ctx.url, o.seeded, o.rate, win);
  log(`[${ctx.target}] ${chains.length} polls held; posting ${o.rate} messages/s for ${o.warmupS} s warm-up + ${o.durationS} s`);
  await producer.run(win.to);
  // Let the last wake-ups arrive, then stop chaining and tear the held polls down.
  await sleep(3_000);
  stopAt = now();
  agent.destroy();
  await Promise.race([Promise.all(chains), sleep(5_000)]);
  const stale = pollers.filter((p) => p.seenSeq < producer.lastSeq[p.room]!).length;
  const window = ctx.monitor.window(win.from, win.to);
  const errorDetail = [...errors].map(([k, v]) => `${v} x ${k}`);
  for (const [k, v] of producer.errors) errorDetail.push(`${v} x POST message ${k}`);
  const notes: string[] = [];
  if (gone) notes.push(`${gone} polls answered 410 (cursor too old) and restarted`);
  if (producer.skippedSends) notes.push(`the producer had 2,000 posts in flight and skipped ${producer.skippedSends}`);
  return {
    target: ctx.target, tool: "lean", scenario: "feed", nodes: ctx.nodes, offered: o.rate, seconds: o.durationS,
    users: users.length, connected: chains.length, connectFailed: users.length - chains.length, connectSeconds,
    sentPerS: producer.sent / o.durationS, okPerS: producer.ok / o.durationS, deliveredPerS: delivered / o.durationS,
    missing: stale, errors: [...errors.values(), ...producer.errors.values()].reduce((a, b) => a + b, 0), errorDetail,
    latencyOf: "send time in the message -> poll response carrying it (room.updated); missing = members whose feed never showed their room's last message",
    latency: latencyOf(hist), ackLatency: latencyOf(producer.hist), window,
    notes: [...notes, `${polls} poll responses in all`],
  };
}

// ------------------------------------------------------------------ REST friend list: autocannon

export interface FriendsOpts {
  tokens: string[];
  connections: number;
  rate: number; // 0: as fast as the connections go
  warmupS: number;
  durationS: number;
}

function cannon(url: string, o: FriendsOpts, seconds: number, onResponse?: (status: number, ms: number) => void): PromiseLike<AutocannonResult> {
  let i = 0;
  const inst = autocannon({
    url: `${url}/api/friends`,
    connections: o.connections,
    duration: seconds,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [{
      method: "GET",
      setupRequest: (req: { headers?: Record<string, string> }) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${o.tokens[i++ % o.tokens.length]}` } }),
    }],
  });
  if (onResponse) inst.on("response", (_c, status, _b, ms) => onResponse(status, ms));
  return inst;
}

/** GET /api/friends through HAProxy, each request as one of the seeded users (round-robin). */
export async function leanFriends(ctx: RunCtx, o: FriendsOpts): Promise<StepReport> {
  if (o.warmupS > 0) await cannon(ctx.url, o, o.warmupS);
  const hist = newHist();
  const from = Date.now();
  let ok = 0;
  const result = await cannon(ctx.url, o, o.durationS, (status, ms) => {
    if (status >= 200 && status < 300) {
      ok++;
      record(hist, ms);
    }
  });
  const window = ctx.monitor.window(from, Date.now());
  const errorDetail: string[] = [];
  const bad = Object.entries(result.statusCodeStats).filter(([code]) => !code.startsWith("2"));
  if (bad.length) errorDetail.push(`status ${bad.map(([c, s]) => `${c} x ${s.count}`).join(", ")}`);
  if (result.errors) errorDetail.push(`${result.errors} transport errors (${result.timeouts} timeouts)`);
  return {
    target: ctx.target, tool: "autocannon", scenario: "friends", nodes: ctx.nodes, offered: o.rate, seconds: o.durationS,
    users: o.tokens.length, connected: o.connections, connectFailed: 0,
    sentPerS: result.requests.total / o.durationS, okPerS: ok / o.durationS, deliveredPerS: ok / o.durationS,
    missing: 0, errors: result.non2xx + result.errors, errorDetail,
    latencyOf: "GET /api/friends request -> response (autocannon)", latency: latencyOf(hist), window, notes: [],
  };
}
