// One round of bench/feed.ts's wake-latency phase (wake-latency.ts): W polls held on node B, the
// events that answer them created through node A, and per waiter when each step happened. The wake
// probe is a Redis subscriber in this process that notes when each waiter's wake was published.
import http from "node:http";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Redis } from "ioredis";
import pg from "pg";
import { requestJson } from "../lib/api-client.js";
import { mapConcurrently } from "../lib/map-concurrently.js";
import { summarize, type Summary } from "../lib/percentiles.js";
import { percentOfCore, tally } from "../lib/report.js";
import { procStats, runQueueWait, waitHeld, waitIdle, type FeedNode } from "./feed-nodes.js";
import { openPoll, type PollResult } from "./poll-client.js";
import type { User } from "./seed-users.js";
import { CONCURRENCY, database, load, log, now, REDIS_URL, ROOM_INVITEES, sleep } from "./settings.js";

/** POST through `agent`; a failed request reads as status 0 with { error } as its body. */
async function postJson(node: FeedNode, agent: http.Agent, pathName: string, body: unknown, token: string): Promise<{ status: number; body: any }> {
  const r = await requestJson(agent, new URL(pathName, node.url), "POST", token, body);
  return r.error ? { status: r.status, body: { error: r.error } } : r;
}

/**
 * First wake message naming each user, as seen by a subscriber on Redis. Both wire formats:
 * `chat:feed:wake` carrying `[userId…]`, and the cluster bus `chat:bus:feed-wake` carrying
 * `[nodeId, [userId…]]`.
 */
const WAKE_CHANNELS = ["chat:feed:wake", "chat:bus:feed-wake"];
const wakeSeen = new Map<string, number>();
let wakeProbe: Redis | undefined;
export async function startWakeProbe() {
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
  const c = new pg.Client({ connectionString: database.adminUrl });
  await c.connect();
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await c.query(
        `SELECT state, coalesce(wait_event_type || ':' || wait_event, 'cpu') AS w, count(*)::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY 1, 2`,
        [database.name],
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

export interface RoundReport {
  kind: "friends" | "invites";
  round: number;
  waiters: number;
  woken: number;
  fromSent: Summary;
  fromReturned: Summary;
  fromAt: Summary;
  atToWake: Summary;
  wakeToPoll: Summary;
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

export async function wakeRound(
  kind: "friends" | "invites",
  round: number,
  a: FeedNode,
  b: FeedNode,
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
  const [aBefore, bBefore, aWait0, bWait0] = [procStats(a.pid), procStats(b.pid), runQueueWait(a.pid), runQueueWait(b.pid)];
  wakeSeen.clear();
  const w0 = now();
  lag.enable();

  const arrivals = polls.map((p) => p.done);
  const create = async () => {
    if (kind === "friends") {
      await mapConcurrently(W, CONCURRENCY, async (k) => {
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
      await mapConcurrently(rooms, Math.min(rooms, CONCURRENCY), async (k) => {
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
  const [aAfter, bAfter, aWait1, bWait1] = [procStats(a.pid), procStats(b.pid), runQueueWait(a.pid), runQueueWait(b.pid)];
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
    fromSent: summarize(fromSent),
    fromReturned: summarize(fromReturned),
    fromAt: summarize(fromAt),
    atToWake: summarize(atToWake),
    wakeToPoll: summarize(wakeToPoll),
    createMs: created - w0,
    deliverMs: lastArrival - w0,
    createErrors: tally(createProblems),
    pollProblems: tally(pollProblems),
    pgBusy,
    bCpuPct: percentOfCore(bAfter.cpuSeconds - bBefore.cpuSeconds, elapsed),
    aCpuPct: percentOfCore(aAfter.cpuSeconds - aBefore.cpuSeconds, elapsed),
    aWaitPct: percentOfCore(aWait1 - aWait0, elapsed),
    bWaitPct: percentOfCore(bWait1 - bWait0, elapsed),
    clientLagP99: lag.percentile(99) / 1e6,
    load: load(),
  };
}

export function stopWakeProbe(): void {
  wakeProbe?.disconnect();
}
