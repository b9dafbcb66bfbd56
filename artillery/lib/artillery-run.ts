// Runs one Artillery test (artillery/scenarios/*.yml) against HAProxy: writes the virtual users'
// payload CSV, passes target, phases and payload as --overrides and the schedule as LOADTEST_*
// variables (read by scenarios/processor.mjs), bounds it in time, and reads its JSON report.

import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { artilleryBin, artilleryDir, track } from "./stack.js";
import type { Monitor } from "./monitor.js";

export interface Summary {
  min: number;
  max: number;
  count: number;
  p50: number;
  median: number;
  p95: number;
  p99: number;
}

export interface ArtilleryReport {
  counters: Record<string, number>;
  summaries: Record<string, Summary>;
  logFile: string;
}

export interface ArtilleryRun {
  /** Where the payload, the log and the JSON report go (kept after the run). */
  dir: string;
  scenario: "chat" | "feed" | "friends";
  target: string;
  fields: string[];
  rows: (string | number)[][];
  phases: object[];
  env: Record<string, string>;
  /** Epoch ms by which the run must have finished; it is killed 60 s later. */
  endsBy: number;
  monitor: Monitor;
}

export async function runArtillery(o: ArtilleryRun): Promise<ArtilleryReport> {
  const dir = o.dir;
  const csv = path.join(dir, "users.csv");
  writeFileSync(csv, o.rows.map((r) => r.join(",")).join("\n") + "\n");
  const reportFile = path.join(dir, "report.json");
  const logFile = path.join(dir, "artillery.log");
  const overrides = { config: { target: o.target, phases: o.phases, payload: [{ path: csv, fields: o.fields, order: "sequence", skipHeader: false }] } };
  const child = spawn(
    process.execPath,
    ["--require", path.join(artilleryDir, "no-telemetry.cjs"), artilleryBin, "run", "--overrides", JSON.stringify(overrides), "--output", reportFile, path.join(artilleryDir, "scenarios", `${o.scenario}.yml`)],
    {
      cwd: artilleryDir,
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: "true", LOADTEST_AUTH_TEMPLATE: "{{ token }}", ...o.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const out = createWriteStream(logFile);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const proc = track("artillery", child);
  o.monitor.watch("artillery", child.pid!);
  const killer = setTimeout(() => child.kill("SIGKILL"), Math.max(10_000, o.endsBy - Date.now() + 60_000));
  const code = await proc.exited;
  clearTimeout(killer);
  o.monitor.unwatch("artillery");
  if (!existsSync(reportFile)) {
    const tail = readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`artillery exited (${code}) without a report; the end of ${logFile}:\n${tail}`);
  }
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as { aggregate: { counters?: Record<string, number>; summaries?: Record<string, Summary> } };
  return { counters: report.aggregate.counters ?? {}, summaries: report.aggregate.summaries ?? {}, logFile };
}

/** Counters whose name starts with `prefix`, as "name x count" strings. */
export function countersLike(counters: Record<string, number>, prefix: string): string[] {
  return Object.entries(counters).filter(([k, v]) => k.startsWith(prefix) && v > 0).map(([k, v]) => `${v} x ${k}`);
}
