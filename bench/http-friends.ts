// HTTP read benchmark: GET /api/friends for a user with 100 friends, on real PostgreSQL.
//
//   npm run bench:http                      300 connections for 20 s
//   npm run bench:http -- --cpu-prof        the same, with a V8 CPU profile of the server
//   npm run bench:http -- --duration 5 --connections 100 --keep-db
//
// It creates (drops and re-creates) the database `chat_bench`, starts one node as a child process
// (`node --import tsx src/main.ts`, as `npm run dev` would), seeds one user through the API and 100
// friends by direct SQL, warms up, runs autocannon, prints the figures, then stops the node and
// drops the database. Admin connection: BENCH_PG_URL, else TEST_PG_URL, else the local server.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";

interface Histogram {
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number; sent: number };
  latency: Histogram;
  throughput: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  headers?: Record<string, string>;
}) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its documented API used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({
  options: {
    connections: { type: "string", default: "300" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    friends: { type: "string", default: "100" },
    "cpu-prof": { type: "boolean", default: false },
    "keep-db": { type: "boolean", default: false },
  },
});
const CONNECTIONS = Number(args.connections);
const DURATION_S = Number(args.duration);
const WARMUP_S = Number(args.warmup);
const FRIENDS = Number(args.friends);
const DB_NAME = "chat_bench";
const adminUrl = process.env.BENCH_PG_URL || process.env.TEST_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const benchDbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${DB_NAME}`;
  return u.toString();
})();

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function recreateDatabase() {
  await admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${DB_NAME}"`);
  });
}

async function dropDatabase() {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) and resident memory of a Linux process, from /proc. */
async function procStats(pid: number): Promise<{ cpuSeconds: number; rssMiB: number; peakRssMiB: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  // USER_HZ is 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
  return { cpuSeconds: ticks / 100, rssMiB: kb("VmRSS") / 1024, peakRssMiB: kb("VmHWM") / 1024 };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error("server not ready in time");
}

async function json(url: string, init: RequestInit & { body?: string } = {}) {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body as any;
}

/** The main user signs up through the API; the friends go straight into the tables (no bcrypt, no HTTP). */
async function seed(url: string): Promise<{ userId: string; accessToken: string }> {
  const started = Date.now();
  const me = await json(`${url}/api/auth/signup`, {
    method: "POST",
    body: JSON.stringify({ email: `bench-${randomUUID()}@example.test`, password: "benchmark password", displayName: "Bench Main" }),
  });
  const userId: string = me.user.id;
  const friendIds = Array.from({ length: FRIENDS }, () => randomUUID());
  const db = new pg.Client({ connectionString: benchDbUrl });
  await db.connect();
  try {
    await db.query("BEGIN");
    // "!" is no bcrypt hash, so these accounts cannot log in; they only need to exist.
    await db.query(
      `INSERT INTO "User" ("id", "email", "passwordHash", "displayName", "statusMessage")
       SELECT id, 'friend-' || id || '@example.test', '!', 'Friend ' || n, 'status of friend ' || n
       FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [friendIds],
    );
    await db.query(
      `INSERT INTO "Friendship" ("userId", "friendId")
       SELECT $1::uuid, f FROM unnest($2::uuid[]) AS f
       UNION ALL
       SELECT f, $1::uuid FROM unnest($2::uuid[]) AS f`,
      [userId, friendIds],
    );
    await db.query("COMMIT");
  } finally {
    await db.end();
  }
  const check = await json(`${url}/api/friends`, { headers: { authorization: `Bearer ${me.accessToken}` } });
  if (check.friends.length !== FRIENDS) throw new Error(`expected ${FRIENDS} friends, got ${check.friends.length}`);
  log(`seeded 1 user with ${FRIENDS} friends in ${Date.now() - started} ms (one response: ${JSON.stringify(check).length} bytes)`);
  return { userId, accessToken: me.accessToken };
}

// Error lines the server logs while measuring, counted by message (the log level is warn).
const serverErrors = new Map<string, number>();
let phase: "setup" | "measuring" | "after" = "setup";

function watchServerLog(child: ChildProcess) {
  let buffered = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let record: { level?: number; msg?: string; err?: { message?: string } } | undefined;
      try {
        record = JSON.parse(line);
      } catch {
        process.stderr.write(`[server] ${line}\n`);
        continue;
      }
      if (phase === "measuring") {
        const key = `${record?.msg ?? "?"}: ${record?.err?.message ?? ""}`.slice(0, 200);
        serverErrors.set(key, (serverErrors.get(key) ?? 0) + 1);
      } else if ((record?.level ?? 0) >= 50) {
        process.stderr.write(`[server] ${line.slice(0, 500)}\n`);
      }
    }
  });
}

/** Waits until a request is answered at once (the server's queue is empty), at most 15 s. */
async function waitIdle(url: string) {
  const deadline = Date.now() + 15_000;
  let quick = 0;
  while (Date.now() < deadline && quick < 3) {
    const started = Date.now();
    await fetch(`${url}/readyz`).catch(() => undefined);
    quick = Date.now() - started < 50 ? quick + 1 : 0;
    await sleep(200);
  }
}

function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill("SIGKILL"), 12_000);
    child.once("exit", (code) => {
      clearTimeout(hard);
      resolve(code);
    });
    child.kill("SIGTERM");
  });
}

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), "chat-bench-"));
  const profDir = path.join(root, ".tmp", "bench-profiles");
  let child: ChildProcess | undefined;
  let exitCode = 0;
  const cleanup = async () => {
    if (child) {
      const code = await stopChild(child);
      log(`server stopped (exit code ${code})`);
    }
    if (!args["keep-db"]) await dropDatabase().catch((err) => log(`could not drop ${DB_NAME}: ${err.message}`));
    await rm(dataDir, { recursive: true, force: true });
  };
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    log("interrupted; cleaning up");
    void cleanup().finally(() => process.exit(130));
  });

  try {
    log(`database ${DB_NAME}: recreating`);
    await recreateDatabase();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const nodeArgs = ["--import", "tsx", ...(args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : []), "src/main.ts"];
    child = spawn(process.execPath, nodeArgs, {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        DATABASE_URL: benchDbUrl,
        REDIS_URL: "",
        MONGO_URL: "",
        LOG_LEVEL: "warn",
        NODE_ENV: "production",
        RATE_LIMIT_USER_PER_SECOND: "1000000",
        RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
      },
    });
    log(`server pid ${child.pid}: node ${nodeArgs.join(" ")}`);
    watchServerLog(child);
    await waitReady(url, child);
    const { accessToken } = await seed(url);
    const target = { url: `${url}/api/friends`, headers: { authorization: `Bearer ${accessToken}` } };

    log(`warm-up: ${WARMUP_S} s at ${CONNECTIONS} connections`);
    await autocannon({ ...target, connections: CONNECTIONS, duration: WARMUP_S });

    const loadBefore = loadavg()[0]!.toFixed(2);
    const before = await procStats(child.pid!);
    log(`measuring: ${DURATION_S} s at ${CONNECTIONS} connections`);
    serverErrors.clear();
    phase = "measuring";
    const r = await autocannon({ ...target, connections: CONNECTIONS, duration: DURATION_S });
    const after = await procStats(child.pid!);
    phase = "after";
    // Requests autocannon abandoned at its end are still queued in the server; let them finish
    // before SIGTERM, so the drain does not meet them.
    await waitIdle(url);
    const cpu = after.cpuSeconds - before.cpuSeconds;

    const lines = [
      `GET /api/friends (${FRIENDS} friends), ${CONNECTIONS} connections, ${DURATION_S} s, one node on PostgreSQL`,
      `  requests/s     mean ${r.requests.mean.toFixed(0)}  (stddev ${r.requests.stddev.toFixed(0)}, total ${r.requests.total})`,
      `  latency ms     p50 ${r.latency.p50}  p90 ${r.latency.p90}  p99 ${r.latency.p99}  max ${r.latency.max}  mean ${r.latency.mean.toFixed(1)}`,
      `  throughput     ${(r.throughput.mean / 1024 / 1024).toFixed(1)} MiB/s`,
      `  errors         ${r.errors} (timeouts ${r.timeouts}), non-2xx ${r.non2xx}  status ${JSON.stringify(Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])))}`,
      `  server CPU     ${cpu.toFixed(1)} s over ${DURATION_S} s (${((cpu / DURATION_S) * 100).toFixed(0)}% of one core), ${((cpu * 1000) / Math.max(1, r.requests.total)).toFixed(2)} ms per request`,
      `  server RSS     ${after.rssMiB.toFixed(0)} MiB at the end, peak ${after.peakRssMiB.toFixed(0)} MiB`,
      // The client, PostgreSQL and the server share this machine: req/s depends on what else runs.
      `  machine        ${cpus().length} CPUs, load average ${loadBefore} before, ${loadavg()[0]!.toFixed(2)} after`,
    ];
    for (const [message, count] of serverErrors) lines.push(`  server errors  ${count} x ${message}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    if (r.errors || r.non2xx) exitCode = 1;
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? err}`);
    exitCode = 1;
  } finally {
    if (!interrupted) await cleanup();
  }
  if (args["cpu-prof"]) {
    const files = (await readdir(profDir).catch(() => [] as string[])).filter((f) => f.endsWith(".cpuprofile"));
    log(`CPU profiles in ${profDir}: ${files.join(", ") || "none"}`);
  }
  process.exit(exitCode);
}

void main();
