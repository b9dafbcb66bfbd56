// One measured step of a run, whichever tool produced it, and the summary the runner prints.

import { tableHeader, tableRow, type Column } from "../../bench/lib/report.js";
import type { WindowStats } from "./monitor.js";

export type Tool = "artillery" | "lean" | "autocannon";
export type Scenario = "chat" | "connections" | "feed" | "friends";

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

export interface StepReport {
  target: "ours" | "bare";
  /** Which tool produced the figures (the generator of the load and of the latencies). */
  tool: Tool;
  scenario: Scenario;
  nodes: number;
  /** Offered load: messages/s (chat, connections, feed) or requests/s (friends; 0 = as fast as possible). */
  offered: number;
  /** Length of the measured window, s. */
  seconds: number;
  /** Virtual users / sockets / pollers / connections asked for. */
  users: number;
  /** Sockets connected and joined, or pollers holding, or HTTP connections. */
  connected: number;
  connectFailed: number;
  /** How long connecting every user took, s. */
  connectSeconds?: number;
  /** Sends (or requests) made in the window, per second. */
  sentPerS: number;
  /** Ok acks (or 2xx responses) of window sends, per second. */
  okPerS: number;
  /** Deliveries per second: message:new at member sockets (chat), woken polls carrying a message (feed), responses (friends). */
  deliveredPerS: number;
  expected?: number;
  delivered?: number;
  /** Expected deliveries that never arrived (chat), or members whose feed never showed their room's last message (feed). */
  missing: number;
  /** Failed connects/joins, non-ok acks, ack timeouts, non-2xx, transport errors. Must be 0 for a figure to count. */
  errors: number;
  errorDetail: string[];
  /** What the latency measures. */
  latencyOf: string;
  latency: Latency;
  ackLatency?: Latency;
  receipts?: { ok: number; failed: number; updates: number };
  window: WindowStats;
  /** Per node: RSS growth per connected socket, KB (connections scenario). */
  perSocketKb?: { name: string; sockets: number; kb: number; heapKb: number }[];
  notes: string[];
}

export const fmtMs = (x: number) => (Number.isNaN(x) ? "-" : x === Infinity ? ">60s" : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : `${(x / 1000).toFixed(2)}s`);
const fmtN = (x: number) => (Number.isNaN(x) ? "-" : x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** A step counts when nothing failed and nothing went missing. */
export const clean = (r: StepReport) => r.errors === 0 && r.missing === 0 && r.connectFailed === 0;
export const meetsLatency = (r: StepReport, p99Ms: number) => clean(r) && r.latency.count > 0 && r.latency.p99 < p99Ms;

const COLS: Column[] = [
  ["target", 6], ["tool", 9], ["scenario", 11], ["nodes", 5], ["offered/s", 9], ["users", 6], ["peak conns", 10],
  ["errors", 6], ["missing", 7], ["sent/s", 7], ["ok/s", 7], ["deliv/s", 8], ["p50", 7], ["p95", 7], ["p99", 7], ["max", 7],
];

export const header = (): string => tableHeader(COLS);

export function line(r: StepReport): string {
  const peak = Math.max(r.window.peakSockets, r.window.peakPolls, r.window.peakLbConns, r.scenario === "friends" ? 0 : r.connected);
  const cells = [
    r.target, r.tool, r.scenario, String(r.nodes), r.offered ? String(r.offered) : "max", String(r.users), String(peak),
    String(r.errors + r.connectFailed), String(r.missing), fmtN(r.sentPerS), fmtN(r.okPerS), fmtN(r.deliveredPerS),
    fmtMs(r.latency.p50), fmtMs(r.latency.p95), fmtMs(r.latency.p99), fmtMs(r.latency.max),
  ];
  return tableRow(COLS, cells);
}

/** The per-process lines under a step: CPU (% of one core) and RSS of each node and helper. */
export function detail(r: StepReport): string {
  const out: string[] = [];
  const w = r.window;
  out.push(`    latency = ${r.latencyOf}${r.ackLatency ? `; ack p50 ${fmtMs(r.ackLatency.p50)} p99 ${fmtMs(r.ackLatency.p99)} ms` : ""}`);
  out.push(
    `    peak concurrent: ${w.peakSockets} Socket.IO sockets on the nodes, ${w.peakPolls} held polls, ${w.peakLbConns} HAProxy client connections;` +
      (r.scenario === "friends"
        ? ` ${r.connected} HTTP connections / virtual users over ${r.users} users`
        : ` ${r.connected}/${r.users} connected${r.connectSeconds !== undefined ? ` in ${r.connectSeconds.toFixed(1)} s` : ""}`),
  );
  out.push(`    cpu (% of one core; wait: % of the time runnable but queued for a core) / rss peak over the window (${w.seconds.toFixed(0)} s), machine ${w.machineBusyPct.toFixed(0)}% busy (all cores, others' work included):`);
  const order = (n: string) => (n.startsWith("node") || n === "bare" ? 0 : n.startsWith("haproxy") ? 1 : n === "redis" ? 2 : n === "postgres" ? 3 : 4);
  out.push(
    `      ${[...w.procs].sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name))
      .map((p) => `${p.name} ${Number.isNaN(p.cpuPct) ? "-" : p.cpuPct.toFixed(0)}%${Number.isNaN(p.waitPct) ? "" : ` (wait ${p.waitPct.toFixed(0)}%)`}${Number.isNaN(p.rssMbMax) ? "" : ` ${p.rssMbMax.toFixed(0)} MB`}`).join(" | ")}`,
  );
  if (r.okPerS > 0) {
    // CPU ms per acked send (per 2xx for friends): robust to a busy machine, the basis for the
    // projection to more cores in docs/performance.md.
    const per = (pred: (n: string) => boolean) => w.procs.filter((p) => pred(p.name) && !Number.isNaN(p.cpuPct)).reduce((x, p) => x + p.cpuPct, 0) * 10 / r.okPerS;
    const what = r.scenario === "friends" ? "request" : "sent message";
    out.push(
      `    CPU per ${what}: ${r.target === "bare" ? "bare server" : "app nodes"} ${per((n) => n.startsWith("node") || n === "bare").toFixed(2)} ms, ` +
        `postgres ${per((n) => n === "postgres").toFixed(2)} ms, redis ${per((n) => n === "redis").toFixed(2)} ms, haproxy ${per((n) => n.startsWith("haproxy")).toFixed(2)} ms`,
    );
  }
  if (r.perSocketKb?.length) {
    out.push(`    memory per socket (growth after a full GC / sockets): ${r.perSocketKb.map((p) => `${p.name} ${p.kb.toFixed(1)} KB RSS, ${p.heapKb.toFixed(1)} KB heap (${p.sockets} sockets)`).join("; ")}`);
  }
  if (r.receipts) out.push(`    read receipts: ${r.receipts.ok} ok, ${r.receipts.failed} failed, ${r.receipts.updates} receipt:updated received`);
  if (r.expected !== undefined) out.push(`    deliveries: ${r.delivered} of ${r.expected} expected (acked window sends x room size)`);
  if (r.errorDetail.length) out.push(`    errors: ${r.errorDetail.join("; ")}`);
  for (const n of r.notes) out.push(`    note: ${n}`);
  return out.join("\n");
}

export const LEGEND = [
  "peak conns: the highest of (Socket.IO sockets summed over the nodes' /metrics, held long-polls, HAProxy's current client connections), sampled each second.",
  "errors: failed connects or joins, non-ok acks, ack timeouts, non-2xx responses, transport errors; missing: deliveries that never arrived.",
  "sent/s and ok/s: sends (requests) made in the measured window and their ok acks (2xx); deliv/s: message:new received at member sockets",
  "(chat, connections), room.updated carrying a window message in a poll response (feed), 2xx responses (friends).",
  "p50..max: latency in ms; chat/connections: from the send time carried in the message to its receipt at each member (sender echo included);",
  "feed: from the send time to the poll response that carried it; friends: request to response.",
].join("\n");
