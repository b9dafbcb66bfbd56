// `npm run deploy:rolling -- --restart '<command with {server}>' [--stats URL] [--backend app]
//  [--servers app1,app2] [--timeout 90]`: restarts the nodes behind HAProxy (deploy/haproxy.cfg)
// one at a time, as a deploy does, without dropping a session's messages.
//
// For each server of the backend, in order: wait until every server is UP in HAProxy's eyes (never
// take a node down while another is out), run the restart command with {server} replaced by the
// server's name, then wait until HAProxy has seen it go DOWN and come back UP before the next.
// The command must stop the node with SIGTERM and start the new one; compose does both:
//
//   npm run deploy:rolling -- --restart 'docker compose up -d --no-deps --force-recreate {server}'
//
// (the compose services are named as the HAProxy servers, app1 and app2). A SIGTERMed node answers
// /readyz 503 until HAProxy has it DOWN, so no new session lands on it, then answers the acks it
// owes, disconnects its sockets and exits; the clients reconnect through HAProxy to the other node
// and resync (docs/clients.md). States come from HAProxy's read-only stats page (CSV), which
// deploy/haproxy.cfg serves on CHAT_LB_STATS (compose: 127.0.0.1:8404).
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export interface ServerState {
  name: string;
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), NOLB, MAINT, DRAIN… */
  status: string;
  /** UP -> DOWN transitions so far. */
  downs: number;
}

export interface RestartStep {
  server: string;
  /** From the restart command's start: when HAProxy first showed the server not UP, its command returned, and it was UP again. */
  downAfterMs: number | null;
  commandMs: number;
  upAfterMs: number;
}

/** The servers of one backend as HAProxy's stats CSV (`<statsUrl>;csv`) shows them. */
export async function serverStates(statsUrl: string, backend = "app"): Promise<ServerState[]> {
  const res = await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2_000) }).catch((err: Error) => {
    throw new Error(`cannot read HAProxy's stats at ${statsUrl};csv: ${err.cause instanceof Error ? err.cause.message : err.message}`);
  });
  if (!res.ok) throw new Error(`${statsUrl};csv answered ${res.status}`);
  const [header, ...rows] = (await res.text()).trim().split("\n");
  const cols = header!.replace(/^# /, "").split(",");
  const at = (name: string) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`no column ${name} in HAProxy's stats CSV`);
    return i;
  };
  const [px, sv, status, chkdown] = [at("pxname"), at("svname"), at("status"), at("chkdown")];
  return rows
    .map((line) => line.split(","))
    .filter((f) => f[px] === backend && f[sv] !== "BACKEND" && f[sv] !== "FRONTEND")
    .map((f) => ({ name: f[sv]!, status: f[status]!, downs: Number(f[chkdown] || 0) }));
}

const POLL_MS = 100;

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export interface RollingOptions {
  statsUrl: string;
  backend?: string;
  /** Default: every server of the backend, in HAProxy's order. */
  servers?: string[];
  /** Stops the node with SIGTERM and starts its replacement; resolves once the new one is started. */
  restart(server: string): Promise<void>;
  /** Per server: for every node UP before, and for the restarted one to be UP again. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** Restarts the backend's servers one at a time; rejects (leaving the rest alone) if one does not come back. */
export async function rollingRestart(opts: RollingOptions): Promise<RestartStep[]> {
  const backend = opts.backend ?? "app";
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const log = opts.log ?? ((line: string) => console.log(line));
  const known = (await serverStates(opts.statsUrl, backend)).map((s) => s.name);
  const names = opts.servers ?? known;
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) throw new Error(`no server ${unknown.join(", ")} in backend ${backend} (it has ${known.join(", ") || "none"})`);
  if (known.length < 2) throw new Error(`backend ${backend} has ${known.length} server(s): a rolling restart needs another node to take the sessions`);
  const steps: RestartStep[] = [];
  for (const server of names) {
    const before = await waitFor(`every server of ${backend} UP before restarting ${server}`, timeoutMs, async () => {
      const states = await serverStates(opts.statsUrl, backend);
      return states.every((s) => s.status === "UP") ? states.find((s) => s.name === server)! : undefined;
    });
    log(`${server}: restarting (every server UP)`);
    const t0 = Date.now();
    let downAfterMs: number | null = null;
    let commandMs = -1;
    // Watch HAProxy's view while the command runs: when did it take the server out?
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const s = (await serverStates(opts.statsUrl, backend).catch(() => [])).find((x) => x.name === server);
        if (s && downAfterMs === null && (s.status !== "UP" || s.downs > before.downs)) downAfterMs = Date.now() - t0;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();
    try {
      await opts.restart(server);
      commandMs = Date.now() - t0;
      await waitFor(`${server} DOWN and UP again in HAProxy`, timeoutMs, async () => {
        const s = (await serverStates(opts.statsUrl, backend)).find((x) => x.name === server);
        if (s && downAfterMs === null && (s.status !== "UP" || s.downs > before.downs)) downAfterMs = Date.now() - t0;
        return s?.status === "UP" && (s.downs > before.downs || downAfterMs !== null) ? s : undefined;
      });
    } finally {
      watching = false;
      await watcher;
    }
    const step = { server, downAfterMs, commandMs, upAfterMs: Date.now() - t0 };
    steps.push(step);
    log(`${server}: out of the balancing after ${fmt(downAfterMs)}, restart command took ${fmt(commandMs)}, UP again after ${fmt(step.upAfterMs)}`);
  }
  return steps;
}

function fmt(ms: number | null): string {
  return ms === null ? "?" : `${(ms / 1000).toFixed(2)} s`;
}

/** Runs the restart command through the shell, its output passed through; rejects on a non-zero exit. */
function shellRestart(template: string) {
  return (server: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn("sh", ["-c", template.replaceAll("{server}", server)], { stdio: "inherit" });
      child.once("error", reject);
      child.once("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`restart command for ${server} exited with ${code ?? signal}`))));
    });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      restart: { type: "string" },
      stats: { type: "string", default: "http://127.0.0.1:8404/stats" },
      backend: { type: "string", default: "app" },
      servers: { type: "string" },
      timeout: { type: "string", default: "90" },
    },
  });
  if (!values.restart) {
    console.error("usage: npm run deploy:rolling -- --restart 'docker compose up -d --no-deps --force-recreate {server}' [--stats http://127.0.0.1:8404/stats] [--backend app] [--servers app1,app2] [--timeout 90]");
    process.exit(2);
  }
  const steps = await rollingRestart({
    statsUrl: values.stats!,
    backend: values.backend!,
    servers: values.servers?.split(",").map((s) => s.trim()).filter(Boolean),
    timeoutMs: Number(values.timeout) * 1000,
    restart: shellRestart(values.restart),
  });
  console.log(`rolling restart done: ${steps.map((s) => s.server).join(", ")}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`rolling restart stopped: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
