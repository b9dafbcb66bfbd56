// How busy the whole machine is: all cores' busy and total ticks from /proc/stat, and the load
// average. The machine is shared (others' tests and builds), so every bench says how busy it was.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";

export interface MachineTicks {
  busy: number;
  total: number;
}

/** All cores' ticks so far: busy (everything but idle and iowait) and total. */
export function machineTicks(): MachineTicks {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - cpu[4]!, total };
}

/** % of all cores busy between two readings. */
export function busyPercent(a: MachineTicks, b: MachineTicks): number {
  return (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
}

/** The 1-, 5- and 15-minute load averages (the first `count` of them), space-separated. */
export function loadAverage(count = 3, digits = 2): string {
  return loadavg().slice(0, count).map((l) => l.toFixed(digits)).join(" ");
}
