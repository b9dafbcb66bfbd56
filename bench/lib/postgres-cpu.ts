// CPU time PostgreSQL spends for a bench, read from /proc (the server must run on this machine).
// Per process id, so that a backend ending between two readings does not make the sum go backwards.
import { readdirSync, readFileSync } from "node:fs";
import { processCpu } from "./proc-stats.js";

/** CPU ms so far per process id. */
export type CpuByPid = Map<number, number>;

/**
 * The backends connected to database `db` plus the shared background processes (walwriter,
 * checkpointer…); backends of other databases (others' runs and tests) are left out.
 */
export function postgresCpuByPid(db: string): CpuByPid {
  const out: CpuByPid = new Map();
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") continue;
      // "postgres: 15/main: <user> <db> <host>(<port>) <state>" for a backend.
      const parts = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim().split(/\s+/);
      if (parts[0] === "postgres:" && parts.length > 4 && /\(\d+\)$/.test(parts[4] ?? "") && parts[3] !== db) continue;
    } catch {
      continue;
    }
    const cpu = processCpu(pid);
    if (cpu) out.set(Number(pid), cpu.cpuMs);
  }
  return out;
}

/** CPU ms so far of the given processes (e.g. a database's backends from pg_stat_activity); gone ones are left out. */
export function cpuOfPids(pids: Iterable<number>): CpuByPid {
  const out: CpuByPid = new Map();
  for (const pid of pids) {
    const cpu = processCpu(pid);
    if (cpu) out.set(pid, cpu.cpuMs);
  }
  return out;
}

/** CPU ms used between two readings: each process of the later one, from its earlier reading or from its start. */
export function cpuDeltaMs(before: CpuByPid, after: CpuByPid): number {
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}

/** The sum of one reading (CPU ms since each process started). */
export const totalCpuMs = (reading: CpuByPid): number => cpuDeltaMs(new Map(), reading);
