// Once a second during a run: CPU and RSS of every process we started (from /proc), the Socket.IO
// sockets and held long-polls each app node reports on /metrics, and HAProxy's current frontend
// connections. Windows of that timeline give per-node CPU (% of one core), peak and mean RSS, and
// the peak concurrent connections.

import { busyPercent, machineTicks, type MachineTicks } from "../../bench/lib/machine-load.js";
import { cpuDeltaMs, postgresCpuByPid, type CpuByPid } from "../../bench/lib/postgres-cpu.js";
import { processCpu, runQueueWaitMs } from "../../bench/lib/proc-stats.js";
import type { SuiteProcess } from "../../bench/lib/suite-process.js";
import { haproxyStats, type Backend } from "./stack.js";

/** CPU time, run-queue wait (summed over the process's threads: time runnable but not running) and RSS. */
export function procStat(pid: number): { cpuMs: number; waitMs: number; rss: number } | null {
  const cpu = processCpu(pid);
  if (!cpu) return null;
  try {
    return { cpuMs: cpu.cpuMs, waitMs: runQueueWaitMs(pid, "all threads"), rss: cpu.rss };
  } catch {
    return null;
  }
}

interface Sample {
  at: number; // epoch ms
  procs: Map<string, { cpuMs: number; waitMs: number; rss: number }>;
  sockets: Map<string, number>; // node -> socketio_connected_sockets
  polls: Map<string, number>; // node -> events_held_polls
  lbConns: number; // HAProxy frontend "chat" current sessions
  pg: CpuByPid | undefined; // postgres pid -> CPU ms
  machine: MachineTicks;
}

export interface ProcUsage {
  name: string;
  cpuPct: number; // % of one core over the window
  /** Run-queue wait, % of wall time (summed over threads): above ~20% the process was starved of CPU. */
  waitPct: number;
  rssMbMax: number;
  rssMbMean: number;
}

export interface WindowStats {
  seconds: number;
  procs: ProcUsage[];
  /** Peak over the window of the sum over nodes of connected Socket.IO sockets (app nodes only). */
  peakSockets: number;
  /** Peak of held long-polls summed over the nodes. */
  peakPolls: number;
  /** Peak of HAProxy's current frontend connections (summed over its processes). */
  peakLbConns: number;
  /** % of all cores busy (every process on the machine, others' included). */
  machineBusyPct: number;
}

export class Monitor {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private readonly procs = new Map<string, number>();

  constructor(
    private readonly backends: Backend[],
    private readonly statsUrls: string[],
    /** PostgreSQL: CPU of the backends of this database plus the shared background processes. */
    private readonly database?: string,
  ) {}

  /** Extra processes to sample (HAProxy, Redis, Artillery); `self` samples this process and its threads. */
  watch(name: string, pid: number) {
    this.procs.set(name, pid);
  }
  watchProc(p: SuiteProcess) {
    this.watch(p.name, p.pid);
  }
  unwatch(name: string) {
    this.procs.delete(name);
  }

  start(intervalMs = 1_000) {
    for (const b of this.backends) this.watch(b.name, b.proc.pid);
    this.watch("generator", process.pid);
    void this.sample();
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
  }

  /** Takes a sample now (or joins the one in flight). */
  sample(): Promise<void> {
    this.inflight ??= this.takeSample().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async takeSample(): Promise<void> {
    {
      const at = Date.now();
      const procs = new Map<string, { cpuMs: number; waitMs: number; rss: number }>();
      for (const [name, pid] of this.procs) {
        const s = procStat(pid);
        if (s) procs.set(name, s);
      }
      const pg = this.database ? postgresCpuByPid(this.database) : undefined;
      const sockets = new Map<string, number>();
      const polls = new Map<string, number>();
      await Promise.all(
        this.backends.filter((b) => b.metrics).map(async (b) => {
          try {
            const text = await (await fetch(`${b.url}/metrics`, { signal: AbortSignal.timeout(900) })).text();
            const num = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, "m").exec(text)?.[1] ?? NaN);
            sockets.set(b.name, num("socketio_connected_sockets"));
            polls.set(b.name, num("events_held_polls"));
          } catch {
            // a node too busy to answer within the tick: no reading this second
          }
        }),
      );
      let lbConns = NaN;
      try {
        const per = await Promise.all(this.statsUrls.map(async (u) => (await haproxyStats(u)).find((r) => r.pxname === "chat" && r.svname === "FRONTEND")?.scur ?? NaN));
        if (per.length) lbConns = per.reduce((x, y) => x + y, 0);
      } catch {
        // likewise
      }
      this.samples.push({ at, procs, sockets, polls, lbConns, pg, machine: machineTicks() });
    }
  }

  /** Latest reading of one node's sockets gauge (NaN if none). */
  latestSockets(node: string): number {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const v = this.samples[i]!.sockets.get(node);
      if (v !== undefined && !Number.isNaN(v)) return v;
    }
    return NaN;
  }

  latestRss(name: string): number {
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const v = this.samples[i]!.procs.get(name);
      if (v) return v.rss;
    }
    return NaN;
  }

  /** RSS (bytes) of a process and the sockets gauge of a node at the sample nearest to `t` (epoch ms). */
  at(name: string, t: number): { rss: number; sockets: number } {
    let best: Sample | undefined;
    for (const s of this.samples) if (s.procs.has(name) && (!best || Math.abs(s.at - t) < Math.abs(best.at - t))) best = s;
    return { rss: best?.procs.get(name)?.rss ?? NaN, sockets: best?.sockets.get(name) ?? NaN };
  }

  window(from: number, to: number): WindowStats {
    const inside = this.samples.filter((s) => s.at >= from - 500 && s.at <= to + 500);
    const first = inside[0];
    const last = inside.at(-1);
    const seconds = first && last ? (last.at - first.at) / 1000 : 0;
    const names = new Set(inside.flatMap((s) => [...s.procs.keys()]));
    const procs: ProcUsage[] = [...names].map((name) => {
      const with_ = inside.filter((s) => s.procs.has(name));
      const a = with_[0]?.procs.get(name);
      const b = with_.at(-1)?.procs.get(name);
      const span = with_.length > 1 ? (with_.at(-1)!.at - with_[0]!.at) / 1000 : 0;
      const rss = with_.map((s) => s.procs.get(name)!.rss / 2 ** 20).filter((x) => !Number.isNaN(x));
      return {
        name,
        cpuPct: a && b && span > 0 ? (b.cpuMs - a.cpuMs) / (10 * span) : NaN,
        waitPct: a && b && span > 0 ? (b.waitMs - a.waitMs) / (10 * span) : NaN,
        rssMbMax: rss.length ? Math.max(...rss) : NaN,
        rssMbMean: rss.reduce((x, y) => x + y, 0) / Math.max(1, rss.length),
      };
    });
    if (first?.pg && last?.pg && last.at > first.at) {
      const ms = cpuDeltaMs(first.pg, last.pg);
      procs.push({ name: "postgres", cpuPct: ms / (10 * seconds), waitPct: NaN, rssMbMax: NaN, rssMbMean: NaN });
    }
    const sum = (m: Map<string, number>) => [...m.values()].filter((v) => !Number.isNaN(v)).reduce((x, y) => x + y, 0);
    const busy = first && last ? busyPercent(first.machine, last.machine) : NaN;
    return {
      seconds,
      procs,
      peakSockets: Math.max(0, ...inside.map((s) => sum(s.sockets))),
      peakPolls: Math.max(0, ...inside.map((s) => sum(s.polls))),
      peakLbConns: Math.max(0, ...inside.map((s) => (Number.isNaN(s.lbConns) ? 0 : s.lbConns))),
      machineBusyPct: busy,
    };
  }
}
