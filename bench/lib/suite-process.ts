// One child process a bench or the scale-out runner started: its exit, the problems it logged,
// the GC probe, and stopping it (SIGTERM, then SIGKILL after a grace period).
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/**
 * What happens to one output stream of the child: "capture" keeps its problems (on stdout, JSON log
 * lines at warn or above and any line that is not JSON; on stderr, every line), "inherit" means the
 * child writes to this process's own stream (set at spawn), "ignore" drains it, and a function gets
 * every line.
 */
export type StreamHandling = "capture" | "inherit" | "ignore" | ((line: string) => void);

export interface GcSample {
  /** V8 heap used, external memory and RSS right after a full GC, bytes. */
  heapUsed: number;
  external: number;
  rss: number;
}

export interface SuiteProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string>;
  /** Captured problem lines, the first 200. */
  problems: string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string>;
  /**
   * For a child started with GC_PROBE_ARGS: a full GC in it, then its live heap and RSS
   * (bench/feed-gc-hook.mjs answers SIGUSR2 on stderr). Null when it does not answer in `timeoutMs`.
   */
  gc(timeoutMs?: number): Promise<GcSample | null>;
}

/** Node flags that preload the GC probe (paths relative to the repository root, the children's cwd). */
export const GC_PROBE_ARGS = ["--expose-gc", "--import", "./bench/feed-gc-hook.mjs"];

const MAX_PROBLEMS = 200;
const WIDTH = 500;

/** Watches a spawned child (its stdout and stderr piped unless "inherit"). */
export function watchProcess(
  name: string,
  child: ChildProcess,
  output: { stdout?: StreamHandling; stderr?: StreamHandling } = {},
): SuiteProcess {
  const problems: string[] = [];
  const note = (line: string) => problems.length < MAX_PROBLEMS && problems.push(line.slice(0, WIDTH));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, sig) => resolve(code ?? sig ?? -1)));
  const gcWaiters: ((s: GcSample) => void)[] = [];

  const stdout = output.stdout ?? "capture";
  if (child.stdout) {
    if (stdout === "ignore" || stdout === "inherit") child.stdout.resume();
    else {
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (typeof stdout === "function") return stdout(line);
        try {
          const e = JSON.parse(line);
          if (typeof e.level === "number" && e.level >= 40) note(line);
        } catch {
          note(line);
        }
      });
    }
  }
  const stderr = output.stderr ?? "capture";
  if (child.stderr) {
    createInterface({ input: child.stderr }).on("line", (line) => {
      if (line.startsWith('{"feedBenchGc"')) {
        try {
          gcWaiters.shift()?.((JSON.parse(line) as { feedBenchGc: GcSample }).feedBenchGc);
        } catch {
          // not the probe's
        }
        return;
      }
      if (typeof stderr === "function") stderr(line);
      else if (stderr === "capture") note(`${name}: ${line}`);
    });
  }

  return {
    name,
    pid: child.pid!,
    child,
    exited,
    problems,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    gc(timeoutMs = 10_000) {
      return new Promise<GcSample | null>((resolve) => {
        const got = (s: GcSample) => {
          clearTimeout(t);
          resolve(s);
        };
        const t = setTimeout(() => {
          const i = gcWaiters.indexOf(got);
          if (i >= 0) gcWaiters.splice(i, 1);
          resolve(null);
        }, timeoutMs);
        gcWaiters.push(got);
        child.kill("SIGUSR2");
      });
    },
  };
}
