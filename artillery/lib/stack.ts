// What the scale-out runner starts and stops: prerequisites (HAProxy, Redis, the Prisma client,
// Artillery), the file-descriptor limit, the load-test database, Redis on a free port, N app nodes,
// the bare Socket.IO baseline, and HAProxy with cookie-sticky sessions in front. Everything listens
// on 127.0.0.1 only; every child is tracked and stopped by stopAll() (SIGTERM, then SIGKILL).

import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { adminUrlFrom, BenchDatabase } from "../../bench/lib/bench-database.js";
import { settingsFrom } from "../../bench/lib/env-settings.js";
import { freePort } from "../../bench/lib/free-port.js";
import { NodeSuite, repoRoot, waitHttpOk, type HttpNode } from "../../bench/lib/node-suite.js";
import { openFileLimits } from "../../bench/lib/proc-stats.js";
import { GC_PROBE_ARGS, watchProcess, type SuiteProcess } from "../../bench/lib/suite-process.js";

export const root = repoRoot;
export const artilleryDir = fileURLToPath(new URL("../", import.meta.url));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
export const log = (msg: string) => process.stdout.write(`[loadtest] ${msg}\n`);

// ------------------------------------------------------------------ children

/** Every child of the run (nodes, Redis, HAProxy, Artillery) and its temporary directories. */
const suite = new NodeSuite();

/** Tracks a child started here, so that stopAll() stops it; its stderr lines are kept as problems. */
export const track = (name: string, child: ChildProcess): SuiteProcess => suite.track(watchProcess(name, child, { stdout: "ignore" }));
/** Stops every child still running (newest first) and removes the temporary directories. */
export const stopAll = (): Promise<void> => suite.stopAll();
/** For the hard time cap and fatal signals: SIGKILL everything at once, synchronously. */
export const killAllNow = (): void => suite.killAllNow();

// ------------------------------------------------------------------ prerequisites

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
let aptUpdated = false;

/** A command from a Debian package: present, or installed with apt-get when running as root. */
export function ensureDebian(cmd: string, pkg: string): void {
  if (has(cmd)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${cmd} is not installed. Install it first: sudo apt-get install -y --no-install-recommends ${pkg}`);
  }
  log(`${cmd} not found: apt-get install ${pkg}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    execFileSync("apt-get", ["update"], { stdio: "inherit", env });
    aptUpdated = true;
  }
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", pkg], { stdio: "inherit", env });
  if (!has(cmd)) throw new Error(`apt-get installed ${pkg} but ${cmd} is still not on PATH`);
}

export const artilleryBin = path.join(artilleryDir, "node_modules", "artillery", "bin", "run");

/** artillery/ is its own npm package (hundreds of MB): installed from its lockfile on first use only. */
export function ensureArtillery(): void {
  if (existsSync(artilleryBin)) return;
  log("artillery/node_modules missing: npm ci --prefix artillery (about 590 MB, once)");
  execFileSync("npm", ["ci", "--prefix", artilleryDir, "--no-audit", "--no-fund"], {
    stdio: "inherit",
    cwd: artilleryDir,
    env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: "true" },
  });
  if (!existsSync(artilleryBin)) throw new Error(`npm ci in ${artilleryDir} did not install ${artilleryBin}`);
}

/** The nodes run src/main.ts through tsx: the generated Prisma client must exist (npm install does not make it). */
export function ensurePrismaClient(): void {
  if (existsSync(path.join(root, "src", "store", "generated"))) return;
  log("generated Prisma client missing: npm run generate");
  execFileSync("npm", ["run", "generate"], { stdio: "inherit", cwd: root });
}

// ------------------------------------------------------------------ file descriptors

export const fdLimits = (): { soft: number; hard: number } => openFileLimits();

/**
 * A process cannot raise its own limit from JavaScript, so when the soft limit is below `want` the
 * runner runs itself again under `ulimit -n` (root may raise the hard limit too) and exits with the
 * child's code. The children (nodes, HAProxy, Redis, Artillery) inherit the raised limit.
 * Returns false when no re-run was needed (or possible).
 */
export async function reexecWithFdLimit(want: number): Promise<boolean> {
  const { soft, hard } = fdLimits();
  if (soft >= want || process.env.LOADTEST_FD_RAISED) return false;
  let nrOpen = 1_048_576;
  try {
    nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8").trim());
  } catch {
    // keep the default
  }
  const target = Math.min(want, nrOpen);
  // Root may raise the hard limit, unless the container withholds CAP_SYS_RESOURCE: try it first.
  const hardOk = hard >= target || spawnSync("sh", ["-c", `ulimit -H -n ${target}`], { stdio: "ignore" }).status === 0;
  if (!hardOk) {
    log(`open-file limit: hard limit ${hard} cannot be raised here (needs root with CAP_SYS_RESOURCE); using ${hard} and spreading sockets over more processes`);
    if (soft >= hard) return false;
  }
  const to = hardOk ? target : hard;
  const script = `${hardOk && hard < to ? `ulimit -H -n ${to}; ` : ""}ulimit -S -n ${to}; exec "$@"`;
  const child = spawn("sh", ["-c", script, "sh", process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, LOADTEST_FD_RAISED: "1" },
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const code = await new Promise<number>((resolve) => child.once("exit", (c, s) => resolve(c ?? (s ? 128 + 15 : 1))));
  process.exit(code);
}

// ------------------------------------------------------------------ PostgreSQL

export const database = new BenchDatabase(
  process.env.LOADTEST_DB || "chat_loadtest",
  adminUrlFrom("LOADTEST_PG_URL", "BENCH_PG_URL"),
  "set LOADTEST_PG_URL to an admin connection URL",
);
export const dbName = database.name;

// ------------------------------------------------------------------ Redis

export async function startRedis(): Promise<{ url: string; proc: SuiteProcess }> {
  const port = await freePort();
  const dir = await suite.tempDir("loadtest-redis-");
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning", "--maxclients", "10000"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const proc = track("redis", child);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pong = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("error", () => resolve(false));
      s.once("data", (d) => {
        s.destroy();
        resolve(String(d).startsWith("+PONG"));
      });
      s.once("connect", () => s.write("PING\r\n"));
    });
    if (pong) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}:\n${proc.problems.join("\n")}`);
    await sleep(100);
  }
  return { url: `redis://127.0.0.1:${port}`, proc };
}

// ------------------------------------------------------------------ app nodes and the bare server

export const JWT_SECRET = "loadtest-jwt-secret-0123456789abcdef0123456789abcdef";

export interface Backend {
  name: string;
  port: number;
  url: string;
  /**
   * Started with GC_PROBE_ARGS (bench/feed-gc-hook.mjs, shared with bench/feed.ts): proc.gc() has it
   * run a full GC and report its live heap and RSS, for memory per socket without garbage.
   */
  proc: SuiteProcess;
  /** Has GET /metrics (the app; not the bare server). */
  metrics: boolean;
}

const backend = (node: HttpNode, metrics: boolean): Backend => ({ name: node.name, port: node.port, url: node.url, proc: node, metrics });

/**
 * N app nodes (`node --import tsx src/main.ts`, as `npm run dev` runs one) on the load-test database
 * and Redis, sharing JWT_SECRET and one DATA_DIR (allowed with DATABASE_URL), rate limits raised.
 * They start together: migrations run under PostgreSQL's advisory lock, exactly once.
 */
export async function startNodes(n: number, opts: { redisUrl?: string; redisClusterNodes?: string; profileDir?: string }): Promise<Backend[]> {
  const dataDir = await suite.tempDir("loadtest-data-");
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = `node${i + 1}`;
      const node = await suite.startApp({
        name,
        nodeArgs: [
          // One file per thread in the node's directory (the main thread's is the biggest; the other is tsx's loader thread).
          ...(opts.profileDir ? ["--cpu-prof", "--cpu-prof-dir", path.join(opts.profileDir, name)] : []),
          ...GC_PROBE_ARGS,
          // Extra node flags for the app nodes, for investigations (e.g. --heapsnapshot-signal=SIGUSR1).
          ...(process.env.LOADTEST_NODE_ARGS ? process.env.LOADTEST_NODE_ARGS.split(" ").filter(Boolean) : []),
        ],
        env: {
          NODE_ENV: "production",
          NODE_ID: name,
          DATA_DIR: dataDir,
          DATABASE_URL: database.url,
          // One Redis, or a Redis Cluster (--redis cluster: sharded pub/sub).
          ...(opts.redisClusterNodes ? { REDIS_CLUSTER_NODES: opts.redisClusterNodes } : { REDIS_URL: opts.redisUrl! }),
          JWT_SECRET,
          LOG_LEVEL: "warn",
          BCRYPT_COST: "4",
          ACCESS_TOKEN_TTL_SECONDS: "86400",
          RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
          RATE_LIMIT_LOGIN_FAILURES: "1000000",
          RATE_LIMIT_USER_PER_SECOND: "1000000",
          RATE_LIMIT_SOCKET_SENDS: "1000000",
          TRUST_PROXY: "loopback",
          // Extra settings for the app nodes, for A/B runs (e.g. LOADTEST_APP_ENV="SOCKET_COALESCE_WRITES=false").
          ...settingsFrom(process.env.LOADTEST_APP_ENV),
        },
        readyTimeoutMs: 120_000,
      });
      return backend(node, true);
    }),
  );
}

/** The baseline: bench/bare-server.ts, one process, no auth, no storage, no adapter. */
export async function startBare(): Promise<Backend> {
  const node = await suite.startBare({ nodeArgs: GC_PROBE_ARGS, env: { NODE_ENV: "production" }, output: { stdout: "ignore" }, readyTimeoutMs: 60_000 });
  return backend(node, false);
}

// ------------------------------------------------------------------ HAProxy

export interface Balancer {
  url: string;
  /** One stats page per HAProxy process. */
  statsUrls: string[];
  procs: SuiteProcess[];
  cfgPaths: string[];
  stop(): Promise<void>;
}

/**
 * HAProxy as in deploy/haproxy.cfg (leastconn, an inserted SERVERID cookie for stickiness, health
 * checks on GET /healthz, long tunnel timeout for WebSockets and held polls), bound to 127.0.0.1, plus
 * a stats listener the runner reads for current and peak connections.
 *
 * Each proxied connection takes two descriptors (client and server side). When `maxconn` needs more
 * than one process may open (`ulimit -n`), several HAProxy processes share the port (SO_REUSEPORT,
 * HAProxy's default on Linux; the kernel spreads new connections over them). They have the same
 * servers and cookies, so a session's cookie pins it to the same node whichever process accepts it.
 */
export async function startHaproxy(backends: Backend[], maxconn: number, fdLimit: number): Promise<Balancer> {
  const perProcess = Math.max(1_000, Math.floor((fdLimit - 500) / 2));
  const processes = Math.max(1, Math.ceil(maxconn / perProcess));
  const port = await freePort();
  const dir = await suite.tempDir("loadtest-haproxy-");
  const procs: SuiteProcess[] = [];
  const statsUrls: string[] = [];
  const cfgPaths: string[] = [];
  for (let i = 0; i < processes; i++) {
    const statsPort = await freePort();
    const conns = Math.min(perProcess, Math.ceil(maxconn / processes) + 500);
    const cfg = `# Written by artillery/runner.ts for one load-test run (see deploy/haproxy.cfg); process ${i + 1} of ${processes}.
global
  maxconn ${conns}

defaults
  mode http
  timeout connect 5s
  timeout client 70s
  timeout server 70s
  timeout tunnel 1h
  timeout http-keep-alive 10s
  maxconn ${conns}

frontend chat
  bind 127.0.0.1:${port}
  default_backend app

backend app
  balance leastconn
  cookie SERVERID insert indirect nocache
  option httpchk GET /healthz
  http-check expect status 200
  # A node counts as down after 3 failed checks 2 s apart; each check may take up to 5 s (a node
  # on a saturated 2-core machine can be slow to answer without being dead).
  timeout check 5s
  default-server inter 2s fall 3 rise 2
${backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check cookie ${b.name}`).join("\n")}

frontend stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
  stats refresh 0
`;
    const cfgPath = path.join(dir, `haproxy${i + 1}.cfg`);
    writeFileSync(cfgPath, cfg);
    const check = spawnSync("haproxy", ["-c", "-q", "-f", cfgPath], { encoding: "utf8" });
    if (check.status !== 0) throw new Error(`haproxy -c rejected ${cfgPath}:\n${check.stderr}${check.stdout}`);
    const child = spawn("haproxy", ["-db", "-f", cfgPath], { stdio: ["ignore", "pipe", "pipe"] });
    procs.push(track(processes > 1 ? `haproxy${i + 1}` : "haproxy", child));
    statsUrls.push(`http://127.0.0.1:${statsPort}/stats`);
    cfgPaths.push(cfgPath);
  }
  const url = `http://127.0.0.1:${port}`;
  await waitHttpOk(`${url}/healthz`, procs[0]!, 20_000);
  // Every server up (health checks passed) in every process, not just the first.
  const deadline = Date.now() + 20_000;
  for (const [i, statsUrl] of statsUrls.entries()) {
    for (;;) {
      const rows = await haproxyStats(statsUrl).catch(() => []);
      const up = rows.filter((r) => r.pxname === "app" && r.svname !== "BACKEND" && r.status.startsWith("UP")).length;
      if (up === backends.length) break;
      if (Date.now() > deadline) throw new Error(`HAProxy ${i + 1}: only ${up} of ${backends.length} servers came up:\n${procs[i]!.problems.join("\n")}`);
      await sleep(250);
    }
  }
  return {
    url, statsUrls, procs, cfgPaths,
    async stop() {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

export interface StatsRow {
  pxname: string;
  svname: string;
  scur: number;
  smax: number;
  stot: number;
  status: string;
  hrsp5xx: number;
  econ: number;
  eresp: number;
  chkdown: number;
}

export async function haproxyStats(statsUrl: string): Promise<StatsRow[]> {
  const text = await (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(2_000) })).text();
  const [head, ...lines] = text.trim().split("\n");
  const cols = head!.replace(/^# /, "").split(",");
  const at = (name: string) => cols.indexOf(name);
  return lines.map((l) => {
    const f = l.split(",");
    const num = (name: string) => Number(f[at(name)] || 0);
    return {
      pxname: f[at("pxname")] ?? "", svname: f[at("svname")] ?? "", scur: num("scur"), smax: num("smax"), stot: num("stot"),
      status: f[at("status")] ?? "", hrsp5xx: num("hrsp_5xx"), econ: num("econ"), eresp: num("eresp"), chkdown: num("chkdown"),
    };
  });
}

/** One line on what HAProxy saw: 5xx answered by each server and by HAProxy itself, health-check downs, connection errors. */
export async function haproxySummary(statsUrls: string[]): Promise<string> {
  const rows = (await Promise.all(statsUrls.map((u) => haproxyStats(u).catch(() => [] as StatsRow[])))).flat();
  const servers = new Map<string, { x5: number; down: number; econ: number; eresp: number }>();
  let front5xx = 0;
  for (const r of rows) {
    if (r.pxname === "chat" && r.svname === "FRONTEND") front5xx += r.hrsp5xx;
    if (r.pxname !== "app" || r.svname === "BACKEND") continue;
    const s = servers.get(r.svname) ?? { x5: 0, down: 0, econ: 0, eresp: 0 };
    s.x5 += r.hrsp5xx;
    s.down += r.chkdown;
    s.econ += r.econ;
    s.eresp += r.eresp;
    servers.set(r.svname, s);
  }
  const fromServers = [...servers.values()].reduce((a, s) => a + s.x5, 0);
  return `HAProxy: 5xx to clients ${front5xx} (${fromServers} from the servers, ${front5xx - fromServers} made by HAProxy); ` +
    [...servers].map(([n, s]) => `${n}: ${s.x5} 5xx, ${s.down} health-check downs, ${s.econ} connect errors, ${s.eresp} response errors`).join("; ");
}

export function ensureDir(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}
