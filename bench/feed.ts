// Long-poll event feed benchmark (GET /api/events): held polls on one node, and wake latency
// across two nodes.
//
//   ulimit -n 20000 && npx tsx bench/feed.ts      5,000 held polls, then 1,000 waiters woken across nodes
//   npx tsx bench/feed.ts --polls 5000 --waiters 1000 --rounds 3 --invite-rounds 2 --concurrency 50 --hold 10
//   npx tsx bench/feed.ts --polls 0 --concurrency 10   wake latency only, at a lower offered load
//   npx tsx bench/feed.ts --keep-db                leave chat_bench_feed in place afterwards
//
// What it does:
//  0. Drops and re-creates the database `chat_bench_feed` (admin URL: BENCH_PG_URL, else
//     postgresql://postgres@127.0.0.1:5432/postgres), starts node B (`node --import tsx
//     src/main.ts`, NODE_ENV=production, LOG_LEVEL=warn, rate limits raised, BCRYPT_COST=4,
//     REDIS_URL redis://127.0.0.1:6379/7 or BENCH_REDIS_URL), seeds max(polls, waiters) + waiters
//     users by direct SQL, each with a live session row, and mints their access tokens with the
//     fixed JWT_SECRET (HS256, issuer "chat-backend", sub = user id, sid = the session, as
//     src/security/jwt-access-tokens.ts issues them; a token is refused unless its session is live).
//     Node B is preloaded with two probes (bench only): bench/feed-gc-hook.mjs (--expose-gc; on
//     SIGUSR2 a full GC, then the live heap and RSS on stderr) and bench/pg-query-counter.mjs
//     (statements sent, by SQL text, written on the same SIGUSR2).
//  1. Held polls: samples node B idle (live heap after GC, RSS, CPU over 5 s), opens one poll per
//     user (`GET /api/events?cursor=<seq 0>&timeout=55`, one keep-alive socket each, at most 250
//     connecting at a time), waits until `events_held_polls` on /metrics shows them all and the
//     node answers /healthz at once, samples again (RSS and heap per waiter = delta / N; CPU over
//     --hold seconds), then releases them by closing the client sockets (the server's `close`
//     frees each waiter), times how long the gauge takes to reach 0, and samples a third time
//     (growth after the release; SQL statements per opened and per released poll).
//  2. Wake latency: starts node A on the same PostgreSQL and Redis (no probes). A warm-up round
//     (100 waiters) first; then each round the first --waiters users hold a poll on node B
//     (chained cursors) and events addressed to them are created through node A:
//       friends round: sender k POSTs /api/friends/requests {userId: waiter (k + round) % W},
//                      --concurrency requests in flight (one friend.request per request)
//       invites round: W/100 owners POST /api/rooms {type: "group", memberIds: [100 waiters]},
//                      in parallel (each request writes its 100 invite.created one after another)
//     Per waiter it records when its event's creating request was sent and when its response
//     arrived, the event's `at` (PostgreSQL now() of the writing transaction, same host clock),
//     when a Redis subscriber in this process first saw a wake naming the waiter, and when the
//     poll response body had fully arrived; it checks the event is the expected one. Also per
//     round: CPU and run-queue wait (/proc/<pid>/schedstat) of both nodes, and what the
//     database's backends were doing (pg_stat_activity every 100 ms).
//  3. Prints a summary table and the commands, stops both nodes (SIGTERM) and drops the database.
//
// The client (this process), both nodes, PostgreSQL and Redis share the machine: load averages
// are printed beside the figures. Bounded by --budget seconds (default 290): rounds are skipped
// when time runs short and a watchdog cleans up and exits if something hangs.
//
// File descriptors: each held poll is one socket in this process and one in node B. The script
// refuses to start when its soft limit (`ulimit -n`, inherited by the nodes) is below polls + 500.
//
// Redis pub/sub ignores the db index: other nodes on the same Redis (tests running meanwhile)
// share the wake and Socket.IO adapter channels, which adds a little noise.
//
// The parts, by what they measure: bench/feed/held-polls.ts (phase 1), bench/feed/wake-latency.ts
// and wake-round.ts (phase 2); the nodes and their probes in feed-nodes.ts, the users in
// seed-users.ts, the poll client in poll-client.ts, the command line in settings.ts.
import { cpus } from "node:os";
import { openFileLimits } from "./lib/proc-stats.js";
import { tallyOf } from "./lib/report.js";
import { nodes, startNode, suite } from "./feed/feed-nodes.js";
import { heldLines, heldPhase } from "./feed/held-polls.js";
import { seedUsers } from "./feed/seed-users.js";
import {
  BUDGET_MS, CONCURRENCY, database, f0, FRIEND_ROUNDS, HOLD_S, INVITE_ROUNDS, KEEP_DB, load, log, POLLS, started, WAITERS,
} from "./feed/settings.js";
import { wakePhase } from "./feed/wake-latency.js";
import { stopWakeProbe } from "./feed/wake-round.js";

async function cleanup() {
  stopWakeProbe();
  await Promise.all(nodes.map(async (n) => log(`node ${n.name} stopped (${await n.proc.stop(12_000)})`)));
  await suite.stopAll();
  if (!KEEP_DB) await database.drop().catch((err) => log(`could not drop ${database.name}: ${err.message}`));
}

async function main() {
  let exitCode = 0;
  let cleaning: Promise<void> | undefined;
  const finish = (code: number) => {
    cleaning ??= cleanup();
    void cleaning.finally(() => process.exit(code));
  };
  process.once("SIGINT", () => {
    log("interrupted; cleaning up");
    finish(130);
  });
  // Watchdog: whatever hangs, the script ends and its children are stopped.
  setTimeout(() => {
    log(`budget of ${BUDGET_MS / 1000} s exceeded (+30 s); cleaning up`);
    finish(1);
  }, BUDGET_MS + 30_000).unref();

  const softFd = openFileLimits(process.pid).soft;
  if (softFd < POLLS + 500) {
    log(`open-file limit is ${softFd}; ${POLLS} polls need about ${POLLS + 500}. Run \`ulimit -n ${POLLS + 2000}\` first.`);
    process.exit(2);
  }

  const out: string[] = [];
  try {
    log(`database ${database.name}: recreating; load average ${load()} (${cpus().length} CPUs)`);
    await database.recreate();
    const b = await startNode("B", true);
    log(`node B pid ${b.pid} at ${b.url.href} (fd limit ${openFileLimits(b.pid).soft})`);
    const nUsers = Math.max(POLLS, WAITERS) + WAITERS;
    const t = Date.now();
    const users = await seedUsers(nUsers);
    log(`seeded ${nUsers} users by SQL with minted tokens in ${Date.now() - t} ms`);

    // Phase 1 (--polls 0 skips it)
    if (POLLS > 0) out.push(...heldLines(await heldPhase(b, users.slice(0, POLLS))));

    // Phase 2
    const wake = await wakePhase(b, users);
    out.push(...wake.lines);
    if (wake.failed) exitCode = 1;

    out.push("");
    for (const n of nodes) out.push(`  node ${n.name} warnings/errors: ${tallyOf(n.problems, "; ")}`);
    out.push(
      `  machine: ${cpus().length} CPUs shared by this client, both nodes, PostgreSQL and Redis (and whatever else runs); load average now ${load()}`,
      "",
      "Commands:",
      `  ulimit -n ${Math.max(POLLS + 2000, 20000)}   # each held poll is one fd here and one in the node`,
      `  npx tsx bench/feed.ts --polls ${POLLS} --waiters ${WAITERS} --rounds ${FRIEND_ROUNDS} --invite-rounds ${INVITE_ROUNDS} --concurrency ${CONCURRENCY} --hold ${HOLD_S}`,
    );
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? err}`);
    exitCode = 1;
  }
  process.stdout.write(`\n${out.join("\n")}\n`);
  cleaning ??= cleanup();
  await cleaning;
  log(`done in ${f0((Date.now() - started) / 1000)} s`);
  process.exit(exitCode);
}

void main();
