// One process's counters from /proc (Linux): CPU time, resident memory, time runnable but waiting
// for a core, and its open-file limit. CLK_TCK (USER_HZ) is 100 and pages are 4 KiB on every Linux
// this runs on.
import { readdirSync, readFileSync } from "node:fs";

export const TICK_MS = 10;
const PAGE = 4096;

/** The fields of /proc/<pid>/stat after the command name: [0] is field 3 (state), [11] utime, [12] stime, [21] rss. Null when gone. */
export function statFields(pid: number | string): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

export interface ProcessCpu {
  /** User + system CPU time so far, ms. */
  cpuMs: number;
  /** Of which in the kernel. */
  sysMs: number;
  /** Resident set size, bytes. */
  rss: number;
}

/** CPU time and RSS of a process (null when it is gone). */
export function processCpu(pid: number | string): ProcessCpu | null {
  const f = statFields(pid);
  if (!f) return null;
  return { cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS, sysMs: Number(f[12]) * TICK_MS, rss: Number(f[21]) * PAGE };
}

/** Resident memory now and at its peak (VmRSS, VmHWM of /proc/<pid>/status), MiB. */
export function processMemory(pid: number): { rssMiB: number; peakRssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kb("VmRSS") / 1024, peakRssMiB: kb("VmHWM") / 1024 };
}

/**
 * Time runnable but waiting for a core (run-queue wait, /proc/.../schedstat), ms: of the main
 * thread, or summed over all the process's threads.
 */
export function runQueueWaitMs(pid: number, of: "main thread" | "all threads"): number {
  if (of === "main thread") return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(" ")[1]) / 1e6;
  let waitNs = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      waitNs += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[1]);
    } catch {
      // the thread ended
    }
  }
  return waitNs / 1e6;
}

/** The open-file limits (`ulimit -n`, soft and hard) of a process; "unlimited" is Infinity. */
export function openFileLimits(pid: number | "self" = "self"): { soft: number; hard: number } {
  let line: string | undefined;
  try {
    line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"));
  } catch {
    // gone
  }
  const [soft, hard] = (line ?? "").split(/\s{2,}/).slice(1, 3).map((x) => (x === "unlimited" ? Infinity : Number(x)));
  return { soft: soft ?? 1024, hard: hard ?? 1024 };
}
