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
import { randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { cpus } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { fetchJson, signUp } from "./lib/api-client.js";
import { autocannon } from "./lib/autocannon.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { loadAverage } from "./lib/machine-load.js";
import { NodeSuite, repoRoot, waitUntilIdle, type HttpNode } from "./lib/node-suite.js";
import { processCpu, processMemory } from "./lib/proc-stats.js";
import { msPer, percentOfCore } from "./lib/report.js";

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
const database = new BenchDatabase("chat_bench", adminUrlFrom("BENCH_PG_URL", "TEST_PG_URL"));

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** CPU seconds (user + system) and resident memory of the server, from /proc. */
function procStats(pid: number): { cpuSeconds: number; rssMiB: number; peakRssMiB: number } {
  return { cpuSeconds: processCpu(pid)!.cpuMs / 1000, ...processMemory(pid) };
}

/** The main user signs up through the API; the friends go straight into the tables (no bcrypt, no HTTP). */
async function seed(url: string): Promise<{ userId: string; accessToken: string }> {
  const started = Date.now();
  const me = await signUp(url, { email: `bench-${randomUUID()}@example.test`, password: "benchmark password", displayName: "Bench Main" });
  const userId: string = me.user.id;
  const friendIds = Array.from({ length: FRIENDS }, () => randomUUID());
  const db = new pg.Client({ connectionString: database.url });
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
  const check = await fetchJson(`${url}/api/friends`, { token: me.accessToken });
  if (check.friends.length !== FRIENDS) throw new Error(`expected ${FRIENDS} friends, got ${check.friends.length}`);
  log(`seeded 1 user with ${FRIENDS} friends in ${Date.now() - started} ms (one response: ${JSON.stringify(check).length} bytes)`);
  return { userId, accessToken: me.accessToken };
}

// Error lines the server logs while measuring, counted by message (the log level is warn).
const serverErrors = new Map<string, number>();
let phase: "setup" | "measuring" | "after" = "setup";

/** The server's stdout (JSON log lines): counted while measuring, else errors and non-JSON lines echoed. */
function serverLogLine(line: string) {
  let record: { level?: number; msg?: string; err?: { message?: string } } | undefined;
  try {
    record = JSON.parse(line);
  } catch {
    process.stderr.write(`[server] ${line}\n`);
    return;
  }
  if (phase === "measuring") {
    const key = `${record?.msg ?? "?"}: ${record?.err?.message ?? ""}`.slice(0, 200);
    serverErrors.set(key, (serverErrors.get(key) ?? 0) + 1);
  } else if ((record?.level ?? 0) >= 50) {
    process.stderr.write(`[server] ${line.slice(0, 500)}\n`);
  }
}

async function main() {
  const suite = new NodeSuite();
  const profDir = path.join(repoRoot, ".tmp", "bench-profiles");
  let server: HttpNode | undefined;
  let exitCode = 0;
  const cleanup = async () => {
    if (server) {
      const code = await server.stop(12_000);
      log(`server stopped (exit code ${code})`);
    }
    await suite.stopAll();
    if (!args["keep-db"]) await database.drop().catch((err) => log(`could not drop ${database.name}: ${err.message}`));
  };
  let interrupted = false;
  process.once("SIGINT", () => {
    interrupted = true;
    log("interrupted; cleaning up");
    void cleanup().finally(() => process.exit(130));
  });

  try {
    log(`database ${database.name}: recreating`);
    await database.recreate();
    const nodeArgs = args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [];
    server = await suite.startApp({
      name: "server",
      inheritEnv: true,
      nodeArgs,
      output: { stdout: serverLogLine, stderr: "inherit" },
      readyTimeoutMs: 30_000,
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: "",
        MONGO_URL: "",
        LOG_LEVEL: "warn",
        NODE_ENV: "production",
        RATE_LIMIT_USER_PER_SECOND: "1000000",
        RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
      },
    });
    const { url } = server;
    log(`server pid ${server.pid}: node ${[...nodeArgs, "--import", "tsx", "src/main.ts"].join(" ")}`);
    const { accessToken } = await seed(url);
    const target = { url: `${url}/api/friends`, headers: { authorization: `Bearer ${accessToken}` } };

    log(`warm-up: ${WARMUP_S} s at ${CONNECTIONS} connections`);
    await autocannon({ ...target, connections: CONNECTIONS, duration: WARMUP_S });

    const loadBefore = loadAverage(1);
    const before = procStats(server.pid);
    log(`measuring: ${DURATION_S} s at ${CONNECTIONS} connections`);
    serverErrors.clear();
    phase = "measuring";
    const r = await autocannon({ ...target, connections: CONNECTIONS, duration: DURATION_S });
    const after = procStats(server.pid);
    phase = "after";
    // Requests autocannon abandoned at its end are still queued in the server; let them finish
    // before SIGTERM, so the drain does not meet them.
    await waitUntilIdle(`${url}/readyz`, 50);
    const cpu = after.cpuSeconds - before.cpuSeconds;

    const lines = [
      `GET /api/friends (${FRIENDS} friends), ${CONNECTIONS} connections, ${DURATION_S} s, one node on PostgreSQL`,
      `  requests/s     mean ${r.requests.mean.toFixed(0)}  (stddev ${r.requests.stddev.toFixed(0)}, total ${r.requests.total})`,
      `  latency ms     p50 ${r.latency.p50}  p90 ${r.latency.p90}  p99 ${r.latency.p99}  max ${r.latency.max}  mean ${r.latency.mean.toFixed(1)}`,
      `  throughput     ${(r.throughput.mean / 1024 / 1024).toFixed(1)} MiB/s`,
      `  errors         ${r.errors} (timeouts ${r.timeouts}), non-2xx ${r.non2xx}  status ${JSON.stringify(Object.fromEntries(Object.entries(r.statusCodeStats).map(([k, v]) => [k, v.count])))}`,
      `  server CPU     ${cpu.toFixed(1)} s over ${DURATION_S} s (${percentOfCore(cpu, DURATION_S).toFixed(0)}% of one core), ${msPer(cpu, r.requests.total).toFixed(2)} ms per request`,
      `  server RSS     ${after.rssMiB.toFixed(0)} MiB at the end, peak ${after.peakRssMiB.toFixed(0)} MiB`,
      // The client, PostgreSQL and the server share this machine: req/s depends on what else runs.
      `  machine        ${cpus().length} CPUs, load average ${loadBefore} before, ${loadAverage(1)} after`,
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
