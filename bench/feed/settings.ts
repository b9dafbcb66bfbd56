// The command line of bench/feed.ts (see its header) and what every part of the feed bench shares:
// the database, Redis, the nodes' JWT secret, the time budget and the log.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { adminUrlFrom, BenchDatabase } from "../lib/bench-database.js";
import { loadAverage } from "../lib/machine-load.js";
import { fixed } from "../lib/report.js";

const { values: args } = parseArgs({
  options: {
    polls: { type: "string", default: "5000" },
    waiters: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    "invite-rounds": { type: "string", default: "2" },
    concurrency: { type: "string", default: "50" },
    hold: { type: "string", default: "10" },
    budget: { type: "string", default: "290" },
    "keep-db": { type: "boolean", default: false },
  },
});
export const POLLS = Number(args.polls);
export const WAITERS = Number(args.waiters);
export const FRIEND_ROUNDS = Number(args.rounds);
export const INVITE_ROUNDS = Number(args["invite-rounds"]);
export const CONCURRENCY = Number(args.concurrency);
export const HOLD_S = Number(args.hold);
export const BUDGET_MS = Number(args.budget) * 1000;
export const KEEP_DB = args["keep-db"];
export const ROOM_INVITEES = 100; // POST /api/rooms accepts at most 100 memberIds

export const database = new BenchDatabase("chat_bench_feed", adminUrlFrom("BENCH_PG_URL"));
export const REDIS_URL = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379/7";
export const JWT_SECRET = "chat-bench-feed-jwt-secret-0123456789abcdef0123";

export const started = Date.now();
export const log = (msg: string) => process.stderr.write(`[feed ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock milliseconds with sub-ms resolution (comparable with PostgreSQL's now() on this host). */
export const now = () => performance.timeOrigin + performance.now();
export const load = () => loadAverage();
/** What is left of the --budget, ms. */
export const left = () => BUDGET_MS - (Date.now() - started);

export const f0 = (n: number) => fixed(n, 0);
export const f1 = (n: number) => fixed(n, 1);
export const f2 = (n: number) => fixed(n, 2);
