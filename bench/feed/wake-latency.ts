// Phase 2 of bench/feed.ts: wake latency across nodes. --waiters users hold a poll on node B while
// events addressed to them are created through node A (friend requests, or invites from new
// 100-member groups); per waiter, the time from the event's `at`, from the creating request and from
// the wake message on Redis to the poll response arriving (wake-round.ts), with both nodes' CPU and
// run-queue wait and what PostgreSQL's backends were doing.
import http from "node:http";
import { startNode, type FeedNode } from "./feed-nodes.js";
import { cursorOf, type User } from "./seed-users.js";
import { CONCURRENCY, f0, f1, FRIEND_ROUNDS, INVITE_ROUNDS, left, log, POLLS, REDIS_URL, ROOM_INVITEES, sleep, WAITERS } from "./settings.js";
import { startWakeProbe, wakeRound, type RoundReport } from "./wake-round.js";

/**
 * Phase 2: starts node A and the wake probe, warms up, then runs the --rounds friends rounds and
 * --invite-rounds invites rounds. Returns the summary's lines; `failed` when a waiter was not woken.
 */
export async function wakePhase(b: FeedNode, users: User[]): Promise<{ lines: string[]; failed: boolean }> {
  const lines: string[] = [];
  let failed = false;
  await startWakeProbe();
  const a = await startNode("A", false);
  log(`node A pid ${a.pid} at ${a.url.href}`);
  const waiters = users.slice(0, WAITERS);
  const senders = users.slice(Math.max(POLLS, WAITERS), Math.max(POLLS, WAITERS) + WAITERS);
  const pollAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: WAITERS + 100 });
  const postAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
  // Warm node A's create paths (and the cross-node path) with a small friends round first.
  const cursors = waiters.map(() => cursorOf(0));
  log(`warm-up round: 100 waiters, friend requests through node A`);
  const warmCursors = cursors.slice(0, 100);
  const warm = await wakeRound("friends", 0, a, b, waiters.slice(0, 100), senders.slice(0, 100), warmCursors, pollAgent, postAgent);
  warmCursors.forEach((c, j) => (cursors[j] = c));
  // A canary too: if node B does not hear node A's wakes, every round would only measure timeouts.
  const wakeBroken = warm.woken < warm.waiters * 0.9;
  if (wakeBroken) {
    log(`warm-up: only ${warm.woken}/${warm.waiters} polls on node B were woken by events created on node A (${warm.pollProblems}); skipping the rounds`);
    lines.push("", `Wake latency across nodes: NOT MEASURED. In the warm-up round only ${warm.woken}/${warm.waiters} polls on node B were answered by`,
      `  events created through node A within 10 s (${warm.pollProblems}). Cross-node wake-ups are not arriving: see node B's warnings below.`);
    failed = true;
  }

  const plan: ("friends" | "invites")[] = [...Array(FRIEND_ROUNDS).fill("friends"), ...Array(INVITE_ROUNDS).fill("invites")];
  const rounds: RoundReport[] = [];
  for (const [i, kind] of wakeBroken ? [] : plan.entries()) {
    if (left() < 40_000) {
      log(`skipping the remaining ${plan.length - i} rounds: budget nearly spent`);
      break;
    }
    // Friends rounds start at 1 (the warm-up used pairs k -> k).
    const r = await wakeRound(kind, i + 1, a, b, waiters, senders, cursors, pollAgent, postAgent);
    rounds.push(r);
    log(
      `round ${r.round} (${kind}): woken ${r.woken}/${r.waiters}; at->poll p50 ${f1(r.fromAt.p50)} p99 ${f1(r.fromAt.p99)} max ${f1(r.fromAt.max)} ms; ` +
        `at->wake p50 ${f1(r.atToWake.p50)} p99 ${f1(r.atToWake.p99)}; wake->poll p50 ${f1(r.wakeToPoll.p50)} p99 ${f1(r.wakeToPoll.p99)}; ` +
        `returned->poll p99 ${f1(r.fromReturned.p99)} ms; sent->poll p99 ${f1(r.fromSent.p99)} ms; created in ${f0(r.createMs)} ms; load ${r.load}`,
    );
    if (r.woken < r.waiters * 0.5) {
      log(`round ${r.round}: only ${r.woken}/${r.waiters} woken; stopping the rounds (wake path broken?)`);
      break;
    }
    await sleep(500);
  }
  pollAgent.destroy();
  postAgent.destroy();

  if (rounds.length) {
    lines.push(
      "",
      `Wake latency across nodes: ${WAITERS} waiters hold a poll on node B, events created through node A (shared PostgreSQL + Redis ${REDIS_URL})`,
      `  friends: ${CONCURRENCY} concurrent POST /api/friends/requests, one friend.request each; invites: ${Math.ceil(WAITERS / ROOM_INVITEES)} parallel POST /api/rooms with ${ROOM_INVITEES} memberIds each`,
      `  latencies in ms to the poll response body arriving at the client, per waiter, from:`,
      `    at   = the event's \`at\` (PostgreSQL now() in the writing transaction; same host clock)`,
      `    ret  = the creating request's response arriving (negative: the poll was answered first)`,
      `    sent = the creating request being sent (includes queueing on node A; for invites the whole 100-invite request)`,
      `  cpu = CPU used by the node process; runq = time its main thread was runnable but waiting for a core (share of the round)`,
      "",
      `  round kind     woken      at p50   p95   p99   max |  ret p50   p99 |  sent p50   p99    max | create ms  ev/s  deliver ms | A cpu/runq  B cpu/runq | client lag p99 | load`,
    );
    for (const r of rounds) {
      lines.push(
        `  ${String(r.round).padStart(5)} ${r.kind.padEnd(8)} ${`${r.woken}/${r.waiters}`.padStart(9)} ` +
          `${f1(r.fromAt.p50).padStart(7)} ${f1(r.fromAt.p95).padStart(5)} ${f1(r.fromAt.p99).padStart(5)} ${f1(r.fromAt.max).padStart(5)} | ` +
          `${f1(r.fromReturned.p50).padStart(8)} ${f1(r.fromReturned.p99).padStart(5)} | ` +
          `${f1(r.fromSent.p50).padStart(9)} ${f1(r.fromSent.p99).padStart(5)} ${f1(r.fromSent.max).padStart(6)} | ` +
          `${f0(r.createMs).padStart(9)} ${f0((r.waiters / r.createMs) * 1000).padStart(5)} ${f0(r.deliverMs).padStart(11)} | ` +
          `${`${f0(r.aCpuPct)}%/${f0(r.aWaitPct)}%`.padStart(10)} ${`${f0(r.bCpuPct)}%/${f0(r.bWaitPct)}%`.padStart(11)} | ${f1(r.clientLagP99).padStart(14)} | ${r.load}`,
      );
    }
    lines.push(
      "",
      `  where the time goes (from the wake message on Redis, seen by a subscriber in this client):`,
      `  round kind     at->wake p50   p99    max | wake->poll p50   p99    max`,
    );
    for (const r of rounds) {
      lines.push(
        `  ${String(r.round).padStart(5)} ${r.kind.padEnd(8)} ${f1(r.atToWake.p50).padStart(12)} ${f1(r.atToWake.p99).padStart(5)} ${f1(r.atToWake.max).padStart(6)} | ` +
          `${f1(r.wakeToPoll.p50).padStart(14)} ${f1(r.wakeToPoll.p99).padStart(5)} ${f1(r.wakeToPoll.max).padStart(6)}`,
      );
    }
    lines.push("", "  PostgreSQL backends of chat_bench_feed while creating (state/wait: mean count per 100 ms sample):");
    for (const r of rounds) lines.push(`  ${String(r.round).padStart(5)} ${r.kind.padEnd(8)} ${r.pgBusy}`);
    for (const r of rounds) {
      if (r.createErrors !== "none" || r.pollProblems !== "none") lines.push(`  round ${r.round}: create errors: ${r.createErrors}; poll problems: ${r.pollProblems}`);
      if (r.woken < r.waiters) failed = true;
    }
    const worst = (kind: string) => Math.max(...rounds.filter((r) => r.kind === kind).map((r) => r.fromAt.p99));
    lines.push(
      "",
      `  goal "p99 event -> poll response under 100 ms" (from \`at\`): worst round p99 ${f1(worst("friends"))} ms (friends), ${f1(worst("invites"))} ms (invites)`,
    );
  }
  return { lines, failed };
}
