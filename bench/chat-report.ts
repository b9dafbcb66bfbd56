// CPU/RSS samples around a step (the server, PostgreSQL, this generator, the machine), the
// per-step table of bench/chat.ts, and the mixed scenario's lines (per event kind; against rooms).

import { availableParallelism } from "node:os";
import { merge, newHist, percentile, SLOT_MS } from "./lib/latency-histogram.js";
import { busyPercent, machineTicks, type MachineTicks } from "./lib/machine-load.js";
import { postgresCpuByPid, totalCpuMs } from "./lib/postgres-cpu.js";
import { processCpu } from "./lib/proc-stats.js";
import { tableHeader, tableRow, type Column } from "./lib/report.js";
import { createsMessage, emptyMix, EVENT_KINDS, mergeMix } from "./chat-mixed.js";
import type { StepResult } from "./chat-worker.js";

/** utime+stime in ms and RSS in bytes of one process (NaN when it is gone). */
const proc = (pid: number) => processCpu(pid) ?? { cpuMs: NaN, sysMs: NaN, rss: NaN };

export interface Sample {
  at: number;
  server: { cpuMs: number; sysMs: number; rss: number };
  pgMs: number;
  genMs: number;
  machine: MachineTicks;
}

export function sample(serverPid: number, db: string): Sample {
  const u = process.cpuUsage();
  return { at: performance.now(), server: proc(serverPid), pgMs: totalCpuMs(postgresCpuByPid(db)), genMs: (u.user + u.system) / 1000, machine: machineTicks() };
}

export interface Usage {
  serverCpu: number; // % of one core
  serverSys: number; // of which in the kernel
  serverRssMb: number;
  pgCpu: number;
  genCpu: number;
  machineBusy: number; // % of all cores
  other: number; // % of one core used by processes not ours (others' tests, builds…)
}

export function usage(a: Sample, b: Sample): Usage {
  const ms = b.at - a.at;
  const pct = (x: number) => (100 * x) / ms;
  const machineBusy = busyPercent(a.machine, b.machine);
  const u = {
    serverCpu: pct(b.server.cpuMs - a.server.cpuMs),
    serverSys: pct(b.server.sysMs - a.server.sysMs),
    serverRssMb: b.server.rss / 2 ** 20,
    pgCpu: pct(b.pgMs - a.pgMs),
    genCpu: pct(b.genMs - a.genMs),
    machineBusy,
  };
  return { ...u, other: Math.max(0, machineBusy * availableParallelism() - u.serverCpu - u.pgCpu - u.genCpu) };
}

export function combine(parts: StepResult[]): StepResult {
  const out: StepResult = {
    sentInWindow: 0, ackOk: 0, ackFailed: 0, ackTimeouts: 0, errorCodes: {}, acksDuringWindow: 0, expectedDeliveries: 0,
    delivered: 0, skippedSends: 0, receiptsOk: 0, receiptsFailed: 0, receiptUpdates: 0, ackHist: newHist(), deliveryHist: newHist(),
    worstAckBySlot: [], loopDelayP99Ms: 0,
  };
  for (const p of parts) {
    for (const k of [
      "sentInWindow", "ackOk", "ackFailed", "ackTimeouts", "acksDuringWindow", "expectedDeliveries", "delivered", "skippedSends",
      "receiptsOk", "receiptsFailed", "receiptUpdates",
    ] as const) out[k] += p[k];
    for (const [code, n] of Object.entries(p.errorCodes)) out.errorCodes[code] = (out.errorCodes[code] ?? 0) + n;
    merge(out.ackHist, p.ackHist);
    merge(out.deliveryHist, p.deliveryHist);
    out.loopDelayP99Ms = Math.max(out.loopDelayP99Ms, p.loopDelayP99Ms);
    p.worstAckBySlot.forEach((ms, i) => (out.worstAckBySlot[i] = Math.max(out.worstAckBySlot[i] ?? 0, ms ?? 0)));
    if (p.mix) mergeMix((out.mix ??= emptyMix()), p.mix);
  }
  return out;
}

export interface Row {
  target: string;
  scenario: string;
  offered: number;
  seconds: number;
  r: StepResult;
  u: Usage;
  /** Messages the server stored in the window (its chat_messages_sent_total), or null (bare: = acks). */
  stored: number | null;
}

/** chat_messages_sent_total from the app's /metrics (null if unreachable). */
export async function storedCounter(url: string): Promise<number | null> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^chat_messages_sent_total\s+(\S+)/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export const errorsOf = (r: StepResult) => r.ackFailed + r.ackTimeouts;
/** Ok acks of the window's events that create a message (bare mixed: its stored/s). */
const messagesAcked = (r: StepResult) => EVENT_KINDS.filter(createsMessage).reduce((a, k) => a + (r.mix?.byKind[k].ok ?? 0), 0);
export const ackP99 = (r: StepResult) => percentile(r.ackHist, 99);

const COLS: Column[] = [
  ["target", 6], ["scenario", 8], ["offered/s", 9], ["sent/s", 7], ["acked/s", 7], ["stored/s", 8], ["errors", 6], ["ack p50", 8],
  ["ack p99", 8], ["dlv p50", 8], ["dlv p99", 8], ["dlv/s", 7], ["missing", 7], ["srv cpu", 7], ["ms/msg", 6], ["srv rss", 7],
  ["pg cpu", 6], ["ms/msg", 6], ["gen cpu", 7], ["other", 6], ["gen lag", 7],
];

const fmtMs = (x: number) => (Number.isNaN(x) ? "-" : x === Infinity ? ">60s" : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : `${(x / 1000).toFixed(1)}s`);

export const header = (): string => tableHeader(COLS);

export function line(row: Row): string {
  const { r, u, seconds } = row;
  const stored = (row.stored ?? (r.mix ? messagesAcked(r) : r.acksDuringWindow)) / seconds; // msgs/s the server committed in the window
  // CPU ms per stored message; in the mixed scenario per acked event (sends, reactions, edits alike).
  const units = row.scenario === "mixed" ? r.acksDuringWindow / seconds : stored;
  const perMsg = (cpuPct: number) => (units > 0 ? ((cpuPct * 10) / units).toFixed(2) : "-");
  const cells = [
    row.target, row.scenario, String(row.offered), (r.sentInWindow / seconds).toFixed(0), (r.acksDuringWindow / seconds).toFixed(0),
    stored.toFixed(0), String(errorsOf(r)), fmtMs(percentile(r.ackHist, 50)), fmtMs(percentile(r.ackHist, 99)),
    fmtMs(percentile(r.deliveryHist, 50)), fmtMs(percentile(r.deliveryHist, 99)), (r.delivered / seconds).toFixed(0),
    String(Math.max(0, r.expectedDeliveries - r.delivered)), `${u.serverCpu.toFixed(0)}%`, perMsg(u.serverCpu), `${u.serverRssMb.toFixed(0)}M`,
    `${u.pgCpu.toFixed(0)}%`, perMsg(u.pgCpu), `${u.genCpu.toFixed(0)}%`, `${u.other.toFixed(0)}%`, fmtMs(r.loopDelayP99Ms),
  ];
  let s = tableRow(COLS, cells);
  const extras: string[] = [];
  if (Object.keys(r.errorCodes).length) extras.push(`codes ${JSON.stringify(r.errorCodes)}`);
  if (r.ackTimeouts) extras.push(`${r.ackTimeouts} ack timeouts`);
  if (r.skippedSends) extras.push(`generator dropped ${r.skippedSends} late sends`);
  if (extras.length) s += `  (${extras.join("; ")})`;
  return s;
}

export const LEGEND = [
  "offered/s: target send rate; sent/s: sends made in the measured window; acked/s: ok acks that arrived in the window;",
  "stored/s: messages the server stored in the window (its chat_messages_sent_total; bare: its acks of sends).",
  "errors: non-ok acks + ack timeouts of window sends. ack: emit -> ack. dlv: send timestamp -> message:new at each",
  "member socket, the sender's own echo included; dlv/s: such deliveries per second; missing: expected deliveries",
  "(ok-acked window sends x room size) that did not arrive. cpu: % of one core over the window (srv = the server",
  "child; pg = postgres backends of the bench database + background writers; gen = this generator, both threads);",
  "ms/msg: that CPU in ms per stored message (robust to a busy machine: 1000 / srv ms/msg = msgs/s one core could carry;",
  "mixed: per acked event, whatever its kind);",
  "other: one-core % used by processes that are not ours (the machine is shared; the run's two cores = 200%);",
  "gen lag: worst generator thread's event-loop delay p99 (ms). Latencies in ms.",
  "mixed: offered/s, sent/s, acked/s and ack p50/p99 count every event (message:send, reaction:add, message:edit);",
  "stored/s only the new messages; dlv and missing only the sends' message:new.",
].join("\n");

/** The mixed scenario's step, per event kind: share of the window's events, acked/s, errors, ack p50/p99. */
export function mixLines(row: Row): string[] {
  const mix = row.r.mix;
  if (!mix) return [];
  const total = Math.max(1, EVENT_KINDS.reduce((a, k) => a + mix.byKind[k].sent, 0));
  const parts = EVENT_KINDS.map((k) => {
    const s = mix.byKind[k];
    const fail = s.failed ? `, ${s.failed} failed` : "";
    return `${k} ${((100 * s.sent) / total).toFixed(0)}% ${(s.ok / row.seconds).toFixed(0)}/s p50 ${fmtMs(percentile(s.hist, 50))} p99 ${fmtMs(percentile(s.hist, 99))}${fail}`;
  });
  const indent = "".padStart(16);
  return [
    `${indent}by kind (of window sends; acked/s): ${parts.slice(0, 3).join("; ")};`,
    `${indent}  ${parts.slice(3).join("; ")}; ${mix.fallbacks} sent plain for want of a target; message:updated received ${(mix.updatesReceived / row.seconds).toFixed(0)}/s`,
  ];
}

/** The mixed scenario's goal: within this fraction of plain `rooms` at the same offered rate (acked events/s and ack p99). */
export const MIXED_TOLERANCE = 0.15;

/** Per target and offered rate run in both scenarios: mixed against rooms, and whether the goal holds. */
export function mixedVsRoomsLines(rows: Row[], targets: string[]): string[] {
  const out: string[] = [];
  for (const target of targets) {
    for (const mixed of rows.filter((r) => r.target === target && r.scenario === "mixed")) {
      const plain = rows.find((r) => r.target === target && r.scenario === "rooms" && r.offered === mixed.offered);
      if (!plain) {
        out.push(`  ${target.padEnd(5)} ${String(mixed.offered).padStart(6)}/s  no rooms step at this rate to compare with`);
        continue;
      }
      const acked = [mixed.r.acksDuringWindow / mixed.seconds, plain.r.acksDuringWindow / plain.seconds] as const;
      const p99 = [ackP99(mixed.r), ackP99(plain.r)] as const;
      const ok = acked[0] >= (1 - MIXED_TOLERANCE) * acked[1] && p99[0] <= (1 + MIXED_TOLERANCE) * p99[1] && errorsOf(mixed.r) === 0;
      const goal = target === "ours" ? `  ${ok ? "meets" : "MISSES"} the goal` : "";
      out.push(
        `  ${target.padEnd(5)} ${String(mixed.offered).padStart(6)}/s  acked/s ${acked[0].toFixed(0)} vs ${acked[1].toFixed(0)} (${pctOf(acked[0], acked[1])}),` +
          ` ack p99 ${fmtMs(p99[0])} vs ${fmtMs(p99[1])} (${pctOf(p99[0], p99[1])}), errors ${errorsOf(mixed.r)} vs ${errorsOf(plain.r)}${goal}`,
      );
    }
  }
  return out;
}

const pctOf = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${a >= b ? "+" : ""}${((100 * (a - b)) / b).toFixed(0)}%` : "-");

/**
 * When the slow acks happened: the window's SLOT_MS slots whose worst ack passed `overMs`, as
 * "second:worst ms". Evenly spaced entries point at a timer (a periodic flush); scattered ones at
 * load, GC or the disk.
 */
export function slowSlotsLine(r: StepResult, overMs = 50): string {
  const slots = Array.from(r.worstAckBySlot, (ms) => ms ?? 0);
  const slow = slots.flatMap((ms, i) => (ms > overMs ? [`${((i * SLOT_MS) / 1000).toFixed(1)}:${ms.toFixed(0)}`] : []));
  const shown = slow.length > 30 ? [...slow.slice(0, 30), "…"] : slow;
  return `${SLOT_MS}-ms slots with an ack over ${overMs} ms: ${slow.length} of ${slots.length}${slow.length ? ` (s:ms ${shown.join(" ")})` : ""}`;
}
