// The processes of one bench run: app nodes (`node --import tsx src/main.ts`, as `npm run dev` runs
// one) and the bare Socket.IO baseline on free ports of 127.0.0.1, and whatever else a run starts
// (Redis, HAProxy, a load generator). Every child is tracked with the temporary directories, so
// that one stopAll() at the end, on an error or on Ctrl-C leaves nothing behind.
import { spawn, type StdioOptions } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";
import { watchProcess, type StreamHandling, type SuiteProcess } from "./suite-process.js";

/** The repository root: the children's working directory. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface HttpNode extends SuiteProcess {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
}

export interface NodeOptions {
  name: string;
  /** Settings of the node (DATABASE_URL, LOG_LEVEL…). PORT and HOST are the suite's; DATA_DIR too, unless given here. */
  env?: Record<string, string>;
  /** The whole environment of this process beneath `env`; by default only PATH and HOME. */
  inheritEnv?: boolean;
  /** Node flags before `--import tsx` (profiling, preloads). */
  nodeArgs?: string[];
  output?: { stdout?: StreamHandling; stderr?: StreamHandling };
  /** Ready when this path answers 200 (default /readyz for the app, /healthz for the bare server). */
  readyPath?: string;
  readyTimeoutMs?: number;
}

/** Polls `url` until it answers 200; fails when `proc` exits first or the time runs out. */
export async function waitHttpOk(url: string, proc: SuiteProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before it was ready:\n${proc.problems.join("\n")}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.child.kill("SIGKILL");
  throw new Error(`${proc.name} not ready at ${url} within ${timeoutMs / 1000} s:\n${proc.problems.join("\n")}`);
}

/**
 * Waits until `url` is answered within `quickMs` three times running (the node's queues have
 * drained), at most `timeoutMs`.
 */
export async function waitUntilIdle(url: string, quickMs: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quick = 0;
  while (Date.now() < deadline && quick < 3) {
    const started = Date.now();
    await fetch(url).then((r) => r.arrayBuffer()).catch(() => undefined);
    quick = Date.now() - started < quickMs ? quick + 1 : 0;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export class NodeSuite {
  private readonly running = new Set<SuiteProcess>();
  private readonly dirs = new Set<string>();

  /** A temporary directory, removed by stopAll(). */
  async tempDir(prefix: string): Promise<string> {
    const d = await mkdtemp(path.join(tmpdir(), prefix));
    this.dirs.add(d);
    return d;
  }

  /** Tracks a child started elsewhere (Redis, HAProxy, a generator), so that stopAll() stops it. */
  track(proc: SuiteProcess): SuiteProcess {
    this.running.add(proc);
    void proc.exited.then(() => this.running.delete(proc));
    return proc;
  }

  /** One app node (src/main.ts) on a free port; resolves once `readyPath` answers 200. */
  startApp(o: NodeOptions): Promise<HttpNode> {
    return this.startNode(o, "src/main.ts", o.readyPath ?? "/readyz");
  }

  /** The bare Socket.IO baseline (bench/bare-server.ts: no auth, no storage, no adapter). */
  startBare(o: Omit<NodeOptions, "name"> & { name?: string } = {}): Promise<HttpNode> {
    return this.startNode({ name: "bare", ...o }, "bench/bare-server.ts", o.readyPath ?? "/healthz");
  }

  private async startNode(o: NodeOptions, script: string, readyPath: string): Promise<HttpNode> {
    const port = await freePort();
    const base = o.inheritEnv ? process.env : { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" };
    const env: NodeJS.ProcessEnv = { ...base, PORT: String(port), HOST: "127.0.0.1", ...o.env };
    if (script === "src/main.ts" && !env.DATA_DIR) env.DATA_DIR = await this.tempDir(`bench-${o.name}-`);
    const stream = (h: StreamHandling | undefined) => (h === "inherit" ? "inherit" : "pipe");
    const stdio: StdioOptions = ["ignore", stream(o.output?.stdout), stream(o.output?.stderr)];
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), "--import", "tsx", script], { cwd: repoRoot, env, stdio });
    const proc = this.track(watchProcess(o.name, child, o.output));
    const url = `http://127.0.0.1:${port}`;
    await waitHttpOk(`${url}${readyPath}`, proc, o.readyTimeoutMs ?? 60_000);
    return Object.assign(proc, { port, url });
  }

  /** Stops every child still running (newest first) and removes the temporary directories. */
  async stopAll(): Promise<void> {
    for (const p of [...this.running].reverse()) await p.stop();
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
    this.dirs.clear();
  }

  /** For a hard time cap or a fatal error: SIGKILL every child at once, synchronously. */
  killAllNow(): void {
    for (const p of this.running) p.child.kill("SIGKILL");
  }
}
