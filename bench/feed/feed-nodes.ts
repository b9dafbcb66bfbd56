// The feed bench's app nodes and what it reads from them: node B holds the polls and carries the
// probes (bench/pg-query-counter.mjs and bench/feed-gc-hook.mjs, both answering SIGUSR2), node A
// creates the events of the wake rounds. Also /metrics, memory, CPU and run-queue wait, idleness.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { NodeSuite, waitUntilIdle, type HttpNode } from "../lib/node-suite.js";
import { processCpu, runQueueWaitMs } from "../lib/proc-stats.js";
import { GC_PROBE_ARGS } from "../lib/suite-process.js";
import { database, JWT_SECRET, REDIS_URL, sleep } from "./settings.js";

export interface FeedNode {
  name: string;
  url: URL;
  pid: number;
  proc: HttpNode;
  /** Statements sent so far by the node's pg clients, by SQL text (bench/pg-query-counter.mjs). */
  countsFile: string;
  /** Its warnings and errors (JSON log lines at warn or above, other output), counted. */
  problems: Map<string, number>;
}

export const suite = new NodeSuite();
/** The nodes started, for the report and for stopping them. */
export const nodes: FeedNode[] = [];

/** `probes`: preload the GC and query-count hooks (node B only; they cost a regex per statement). */
export async function startNode(name: string, probes: boolean): Promise<FeedNode> {
  const dataDir = await suite.tempDir("chat-bench-feed-");
  // Both preloads act on SIGUSR2: the query counts are written first, then the GC sample.
  const countsFile = path.join(dataDir, "pg-query-counts.json");
  const problems = new Map<string, number>();
  const note = (key: string) => problems.set(key.slice(0, 240), (problems.get(key.slice(0, 240)) ?? 0) + 1);
  // "listening" is an info line and LOG_LEVEL is warn: readiness is polled instead.
  const stdout = (line: string) => {
    let e: { level?: number; msg?: string; err?: { message?: string } } | undefined;
    try {
      e = JSON.parse(line);
    } catch {
      note(`stdout: ${line}`);
      return;
    }
    if ((e?.level ?? 0) >= 40) note(`${e?.level === 40 ? "warn" : "error"}: ${e?.msg} ${e?.err?.message ?? ""}`);
  };
  const proc = await suite.startApp({
    name,
    nodeArgs: probes ? ["--import", "./bench/pg-query-counter.mjs", ...GC_PROBE_ARGS] : [],
    output: { stdout, stderr: (line) => note(`stderr: ${line.trim()}`) },
    env: {
      NODE_ENV: "production",
      NODE_ID: `bench-feed-${name}`,
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL,
      PG_QUERY_COUNTS_FILE: countsFile,
      LOG_LEVEL: "warn",
      BCRYPT_COST: "4",
      JWT_SECRET,
      RATE_LIMIT_USER_PER_SECOND: "1000000",
      RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
      RATE_LIMIT_SOCKET_SENDS: "1000000",
    },
  });
  const node: FeedNode = { name, url: new URL(proc.url), pid: proc.pid, proc, countsFile, problems };
  nodes.push(node);
  return node;
}

/** CPU seconds (user + system) and resident memory of a node, from /proc. */
export function procStats(pid: number): { cpuSeconds: number; rssMiB: number } {
  const cpu = processCpu(pid)!;
  return { cpuSeconds: cpu.cpuMs / 1000, rssMiB: cpu.rss / 2 ** 20 };
}

/** Time the node's main thread was runnable but waiting for a core, in seconds. */
export const runQueueWait = (pid: number): number => runQueueWaitMs(pid, "main thread") / 1000;

export async function metrics(node: FeedNode): Promise<Map<string, number>> {
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
export async function afterGc(node: FeedNode): Promise<{ heapMiB: number; rssMiB: number; queries: Map<string, number> }> {
  const s = await node.proc.gc(30_000);
  if (!s) throw new Error(`node ${node.name} did not answer the GC probe in 30 s`);
  const queries = new Map<string, number>(Object.entries(JSON.parse(await readFile(node.countsFile, "utf8").catch(() => "{}")) as Record<string, number>));
  return { heapMiB: s.heapUsed / 2 ** 20, rssMiB: s.rss / 2 ** 20, queries };
}

/** Statements sent between two samples: total and the most frequent. */
export function queryDelta(from: Map<string, number>, to: Map<string, number>) {
  const diff = [...to].map(([sql, n]) => [sql, n - (from.get(sql) ?? 0)] as const).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1]);
  return { total: diff.reduce((sum, [, n]) => sum + n, 0), top: diff.slice(0, 3) };
}

export async function heldPolls(node: FeedNode): Promise<number> {
  return (await metrics(node)).get("events_held_polls") ?? NaN;
}

export async function memory(node: FeedNode) {
  const m = await metrics(node);
  const p = procStats(node.pid);
  return {
    rssMiB: p.rssMiB,
    heapUsedMiB: (m.get("nodejs_heap_size_used_bytes") ?? NaN) / 2 ** 20,
    externalMiB: (m.get("nodejs_external_memory_bytes") ?? NaN) / 2 ** 20,
    cpuSeconds: p.cpuSeconds,
    lagP99Ms: (m.get("nodejs_eventloop_lag_p99_seconds") ?? NaN) * 1000,
  };
}

/** Waits until a trivial request is answered at once three times running (queues drained), at most 15 s. */
export const waitIdle = (node: FeedNode) => waitUntilIdle(new URL("/healthz", node.url).href, 20);

export async function waitHeld(node: FeedNode, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let held = NaN;
  while (Date.now() < deadline) {
    held = await heldPolls(node);
    if (held === want) return held;
    await sleep(250);
  }
  return held;
}
