// Processes and seed data for bench/chat.ts: the bench database, the app node and the bare
// baseline as child processes, and users/rooms (signup over HTTP, memberships by direct SQL).

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { settingsFrom } from "./env-settings.js";

export const root = fileURLToPath(new URL("../", import.meta.url));
export const adminPgUrl = process.env.BENCH_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
// Not "chat_bench": bench/http-friends.ts drops and recreates that one, and the two may run at once.
export const DB = process.env.BENCH_DB || "chat_bench_socket";
export const dbUrl = (() => {
  const u = new URL(adminPgUrl);
  u.pathname = `/${DB}`;
  return u.toString();
})();
const JWT_SECRET = "chat-bench-jwt-secret-0123456789abcdef0123456789";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates the bench database if missing; `fresh` drops it first so every run starts from the same state. */
export async function ensureDatabase(fresh: boolean): Promise<void> {
  const c = new pg.Client({ connectionString: adminPgUrl });
  await c.connect();
  try {
    if (fresh) await c.query(`DROP DATABASE IF EXISTS "${DB}" WITH (FORCE)`);
    const r = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE "${DB}"`);
  } finally {
    await c.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Child {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** Log lines at warn or above (the app) or anything on stderr. */
  problems: string[];
  stop(): Promise<number | string>;
}

function wrap(name: string, child: ChildProcess, url: string, problems: string[], dataDir?: string): Child {
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, sig) => resolve(code ?? sig ?? -1)));
  return {
    name, url, pid: child.pid!, child, problems,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(t);
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

function watchOutput(child: ChildProcess, problems: string[]) {
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      const e = JSON.parse(line);
      if (typeof e.level === "number" && e.level >= 40 && problems.length < 200) problems.push(line.slice(0, 400));
    } catch {
      if (problems.length < 200) problems.push(line.slice(0, 400));
    }
  });
  child.stderr!.on("data", (d) => problems.length < 200 && problems.push(String(d).slice(0, 400)));
}

async function waitReady(url: string, pathName: string, child: ChildProcess, problems: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`child exited (${child.exitCode ?? child.signalCode}):\n${problems.join("\n")}`);
    try {
      const r = await fetch(`${url}${pathName}`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  child.kill("SIGKILL");
  throw new Error(`not ready within ${timeoutMs} ms:\n${problems.join("\n")}`);
}

/** Extra flags for the server children, both app and bare (e.g. BENCH_NODE_ARGS="--max-semi-space-size=32"). */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
/** Extra environment for the app node, for A/B runs of its settings (e.g. BENCH_APP_ENV="SOCKET_COALESCE_WRITES=false"). */
const appEnv = settingsFrom(process.env.BENCH_APP_ENV);

/** One app node (src/main.ts) on the bench database, single node (no REDIS_URL), limits raised. */
export async function startApp(opts: { profileDir?: string; poolSize?: number; queryCountsFile?: string }): Promise<Child> {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(tmpdir(), "chat-sockbench-"));
  const args = [
    ...nodeArgs,
    ...(opts.profileDir ? ["--cpu-prof", "--cpu-prof-dir", opts.profileDir] : []),
    ...(opts.queryCountsFile ? ["--import", new URL("./pg-query-counter.mjs", import.meta.url).href] : []),
    "--import", "tsx", "src/main.ts",
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      DATABASE_URL: dbUrl,
      ...(opts.poolSize ? { DATABASE_POOL_SIZE: String(opts.poolSize) } : {}),
      ...(opts.queryCountsFile ? { PG_QUERY_COUNTS_FILE: opts.queryCountsFile } : {}),
      LOG_LEVEL: "warn",
      BCRYPT_COST: "4",
      JWT_SECRET,
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      RATE_LIMIT_SOCKET_SENDS: "1000000",
      RATE_LIMIT_USER_PER_SECOND: "1000000",
      RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
      ...appEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const problems: string[] = [];
  watchOutput(child, problems);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, "/readyz", child, problems, 90_000);
  return wrap("app", child, url, problems, dataDir);
}

/** The bare Socket.IO baseline (bench/bare-server.ts). */
export async function startBare(): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "bench/bare-server.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const problems: string[] = [];
  child.stdout!.resume();
  child.stderr!.on("data", (d) => problems.length < 200 && problems.push(String(d).slice(0, 400)));
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, "/healthz", child, problems, 30_000);
  return wrap("bare", child, url, problems);
}

async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

async function post(url: string, body: unknown, token?: string): Promise<any> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (r.status !== 201 && r.status !== 200) throw new Error(`POST ${url}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

export interface Seeded {
  users: { id: string; token: string }[];
  /** Member user indexes per room id. */
  rooms: { id: string; members: number[] }[];
  hot: { id: string; members: number[] };
}

/**
 * `nRooms` group rooms of `roomSize` (disjoint users), and one hot room of the first `hotSize`
 * users. Users sign up over HTTP; rooms are created over HTTP by their owner; the other members'
 * Membership rows go in by SQL (the same rows an accepted invite writes; seeding only).
 */
export async function seed(appUrl: string, nRooms: number, roomSize: number, hotSize: number): Promise<Seeded> {
  const nUsers = Math.max(nRooms * roomSize, hotSize);
  const tag = Date.now().toString(36);
  const users = await pool(nUsers, 50, async (i) => {
    const b = await post(`${appUrl}/api/auth/signup`, { email: `bench-${tag}-${i}@example.test`, password: "bench password 123", displayName: `Bench ${i}` });
    return { id: b.user.id as string, token: b.accessToken as string };
  });
  const groups = [
    ...Array.from({ length: nRooms }, (_, r) => Array.from({ length: roomSize }, (_, k) => r * roomSize + k)),
    Array.from({ length: hotSize }, (_, k) => k),
  ];
  const ids = await pool(groups.length, 20, async (g) => {
    const owner = users[groups[g]![0]!]!;
    const b = await post(`${appUrl}/api/rooms`, { type: "group", name: g < nRooms ? `bench room ${g}` : "bench hot room" }, owner.token);
    return b.room.id as string;
  });
  const roomIds: string[] = [];
  const userIds: string[] = [];
  groups.forEach((members, g) => members.slice(1).forEach((u) => (roomIds.push(ids[g]!), userIds.push(users[u]!.id))));
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO "Membership" ("roomId", "userId") SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`,
      [roomIds, userIds],
    );
    await c.query("ANALYZE");
  } finally {
    await c.end();
  }
  return {
    users,
    rooms: groups.slice(0, nRooms).map((members, g) => ({ id: ids[g]!, members })),
    hot: { id: ids[nRooms]!, members: groups[nRooms]! },
  };
}
