// Two node processes behind HAProxy (deploy/haproxy.cfg), as production runs them: each node is
// its own process on a fixed port, so it can be SIGKILLed (a crash) or SIGTERMed and started
// again on the same address (a deploy), while HAProxy keeps its configuration.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnNode, type NodeProcess } from "../helpers/processes.js";
import { freePort, startHaproxy, type Haproxy } from "../helpers/haproxy.js";
import { eventually } from "../helpers/eventually.js";

export const SERVERS = ["app1", "app2"] as const;
export type ServerName = (typeof SERVERS)[number];

// Load tests send faster than a person: per-socket limits above the suite's 200 msgs/s.
const NODE_ENV = {
  RATE_LIMIT_SOCKET_SENDS: "1000",
  RATE_LIMIT_SOCKET_EVENTS: "1000",
  // Only the nodes' "listening" line and warnings: request logs would fill the test's memory.
  LOG_LEVEL: "info",
};

// A node process compiles its TypeScript as it starts (tsx): seconds, more on a busy machine.
const START_TIMEOUT_MS = 60_000;

export class DeployCluster {
  readonly nodes = new Map<ServerName, NodeProcess>();
  /** The log of each server's previous process (before its last kill or restart). */
  readonly previousLogs = new Map<ServerName, string[]>();
  lb: Haproxy | undefined;
  private constructor(
    readonly ports: Record<ServerName, number>,
    /** One DATA_DIR per server, kept across its restarts (as a container's volume). */
    readonly dataDirs: Record<ServerName, string>,
  ) {}

  /** Every node process ever spawned, so stop() leaves none behind (one still starting included). */
  private readonly children = new Set<ChildProcess>();
  private stopped = false;

  /** Ports and directories only: start() runs the processes (a test keeps the object to stop it whatever happens). */
  static async create(): Promise<DeployCluster> {
    return new DeployCluster(
      { app1: await freePort(), app2: await freePort() },
      { app1: await mkdtemp(path.join(tmpdir(), "chat-deploy-app1-")), app2: await mkdtemp(path.join(tmpdir(), "chat-deploy-app2-")) },
    );
  }

  /** Both nodes, then HAProxy from deploy/haproxy.cfg in front of them, every server UP. */
  async start(): Promise<void> {
    const started = await Promise.allSettled(SERVERS.map((s) => this.startNode(s)));
    const failed = started.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    this.lb = await startHaproxy([`127.0.0.1:${this.ports.app1}`, `127.0.0.1:${this.ports.app2}`]);
  }

  get url(): string {
    return this.lb!.url;
  }

  /** The node's own address (not through the proxy). */
  nodeUrl(server: ServerName): string {
    return `http://127.0.0.1:${this.ports[server]}`;
  }

  async startNode(server: ServerName): Promise<NodeProcess> {
    if (this.stopped) throw new Error("the cluster is stopped");
    const proc = await spawnNode(
      { ...NODE_ENV, PORT: String(this.ports[server]), NODE_ID: server, DATA_DIR: this.dataDirs[server] },
      {
        startTimeoutMs: START_TIMEOUT_MS,
        onSpawn: (child) => {
          this.children.add(child);
          child.once("exit", () => this.children.delete(child));
        },
      },
    );
    this.nodes.set(server, proc);
    return proc;
  }

  /** A crash: SIGKILL, nothing drained. */
  async kill(server: ServerName): Promise<void> {
    const proc = this.nodes.get(server);
    if (!proc) return;
    proc.child.kill("SIGKILL");
    await proc.exited;
    this.nodes.delete(server);
    this.previousLogs.set(server, proc.logs);
  }

  /** What each restart() took: SIGTERM to out of the balancing ("not ready; draining"), to exit, to the new process listening. */
  readonly restarts: { server: ServerName; notReadyMs: number; proxy: string; exitMs: number; startMs: number }[] = [];

  /** A deploy's restart: SIGTERM (the node drains and exits 0), then a new process on the same port. */
  async restart(server: ServerName): Promise<void> {
    const proc = this.nodes.get(server);
    const t0 = Date.now();
    let exitMs = 0;
    if (proc) {
      proc.child.kill("SIGTERM");
      const code = await proc.exited;
      exitMs = Date.now() - t0;
      this.nodes.delete(server);
      this.previousLogs.set(server, proc.logs);
      if (code !== 0) throw new Error(`${server} exited with ${code} after SIGTERM:\n${proc.logs.slice(-20).join("\n")}`);
    }
    await this.startNode(server);
    const notReady = this.logOf(server, "not ready; draining", true)[0] as { time?: number; proxy?: string } | undefined;
    this.restarts.push({ server, notReadyMs: notReady?.time ? notReady.time - t0 : NaN, proxy: notReady?.proxy ?? "?", exitMs, startMs: Date.now() - t0 - exitMs });
  }

  /** Resolves when HAProxy has `server` UP again (after a start), or every server when none is named. */
  async waitUp(server?: ServerName, within = 20_000): Promise<void> {
    await eventually(
      async () => {
        const states = await this.lb!.servers();
        return states.filter((s) => !server || s.name === server).every((s) => s.status === "UP");
      },
      { within, every: 50, what: `${server ?? "every server"} UP in HAProxy` },
    );
  }

  /** The log lines of a node whose message contains `msg` (pino JSON). */
  logOf(server: ServerName, msg: string, previous = false): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of (previous ? this.previousLogs.get(server) : this.nodes.get(server)?.logs) ?? []) {
      if (!line.includes(msg)) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // stderr text
      }
    }
    return out;
  }

  /** Warnings and errors the nodes logged (current and previous processes), for a failure's message. */
  problems(limit = 20): string[] {
    const lines = [...SERVERS.flatMap((s) => [...(this.previousLogs.get(s) ?? []), ...(this.nodes.get(s)?.logs ?? [])].map((l) => `${s}: ${l}`))];
    return lines.filter((l) => /"level":(4|5|6)\d/.test(l) || !l.includes('"level"')).slice(0, limit);
  }

  /** Kills whatever is still running (nodes, HAProxy) and removes the nodes' data directories. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.nodes.keys()].map((s) => this.kill(s)));
    await Promise.all(
      [...this.children].map((child) => {
        const gone = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGKILL");
        return gone;
      }),
    );
    await this.lb?.stop();
    await Promise.all(SERVERS.map((s) => rm(this.dataDirs[s], { recursive: true, force: true })));
  }
}
