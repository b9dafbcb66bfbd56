// Processes and seed data for bench/chat.ts: the bench database, the app node and the bare
// baseline as child processes of the run's NodeSuite, and users/rooms (signup over HTTP,
// memberships by direct SQL).

import pg from "pg";
import { fetchJson, signUp } from "./lib/api-client.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { settingsFrom } from "./lib/env-settings.js";
import { mapConcurrently } from "./lib/map-concurrently.js";
import type { NodeSuite, HttpNode } from "./lib/node-suite.js";

// Not "chat_bench": bench/http-friends.ts drops and recreates that one, and the two may run at once.
export const database = new BenchDatabase(process.env.BENCH_DB || "chat_bench_socket", adminUrlFrom("BENCH_PG_URL"));
const JWT_SECRET = "chat-bench-jwt-secret-0123456789abcdef0123456789";

/** Extra flags for the server children, both app and bare (e.g. BENCH_NODE_ARGS="--max-semi-space-size=32"). */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
/** Extra environment for the app node, for A/B runs of its settings (e.g. BENCH_APP_ENV="SOCKET_COALESCE_WRITES=false"). */
const appEnv = settingsFrom(process.env.BENCH_APP_ENV);

/** One app node (src/main.ts) on the bench database (or `db`), single node (no REDIS_URL), limits raised. */
export function startApp(suite: NodeSuite, opts: { profileDir?: string; poolSize?: number; queryCountsFile?: string; db?: BenchDatabase }): Promise<HttpNode> {
  return suite.startApp({
    name: "app",
    nodeArgs: [
      ...nodeArgs,
      ...(opts.profileDir ? ["--cpu-prof", "--cpu-prof-dir", opts.profileDir] : []),
      ...(opts.queryCountsFile ? ["--import", new URL("./pg-query-counter.mjs", import.meta.url).href] : []),
    ],
    env: {
      NODE_ENV: "production",
      DATABASE_URL: (opts.db ?? database).url,
      ...(opts.poolSize ? { DATABASE_POOL_SIZE: String(opts.poolSize) } : {}),
      ...(opts.queryCountsFile ? { PG_QUERY_COUNTS_FILE: opts.queryCountsFile } : {}),
      LOG_LEVEL: "warn",
      BCRYPT_COST: "4",
      JWT_SECRET,
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      RATE_LIMIT_SOCKET_SENDS: "1000000",
      RATE_LIMIT_SOCKET_EVENTS: "1000000",
      RATE_LIMIT_USER_PER_SECOND: "1000000",
      RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
      ...appEnv,
    },
    readyTimeoutMs: 90_000,
  });
}

/** The bare Socket.IO baseline (bench/bare-server.ts). */
export function startBare(suite: NodeSuite): Promise<HttpNode> {
  return suite.startBare({ nodeArgs, env: { NODE_ENV: "production" }, readyTimeoutMs: 30_000 });
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
  const users = await mapConcurrently(nUsers, 50, async (i) => {
    const b = await signUp(appUrl, { email: `bench-${tag}-${i}@example.test`, password: "bench password 123", displayName: `Bench ${i}` });
    return { id: b.user.id, token: b.accessToken };
  });
  const groups = [
    ...Array.from({ length: nRooms }, (_, r) => Array.from({ length: roomSize }, (_, k) => r * roomSize + k)),
    Array.from({ length: hotSize }, (_, k) => k),
  ];
  const ids = await mapConcurrently(groups.length, 20, async (g) => {
    const owner = users[groups[g]![0]!]!;
    const b = await fetchJson(`${appUrl}/api/rooms`, { json: { type: "group", name: g < nRooms ? `bench room ${g}` : "bench hot room" }, token: owner.token });
    return b.room.id as string;
  });
  const roomIds: string[] = [];
  const userIds: string[] = [];
  groups.forEach((members, g) => members.slice(1).forEach((u) => (roomIds.push(ids[g]!), userIds.push(users[u]!.id))));
  const c = new pg.Client({ connectionString: database.url });
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
