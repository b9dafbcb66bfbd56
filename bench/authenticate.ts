// What checking a session's liveness adds to authenticating one request (REST or handshake):
// the JWT verification alone, as before 2026-12-05, against `authenticate` (verification, then
// the per-node liveness cache), both on a warm cache, in one process.
//
//   npx tsx bench/authenticate.ts                 200,000 calls per variant, 5 rounds
//   npx tsx bench/authenticate.ts --calls 50000 --rounds 3
//
// No database: the session repository behind the cache answers "live" from memory and counts
// how often it is asked (once per session and node per minute in production: a primary-key read).
import { parseArgs } from "node:util";
import { authenticate } from "../src/domain/accounts.js";
import type { SessionRepository } from "../src/domain/ports/session-repository.js";
import { JwtAccessTokens } from "../src/security/jwt-access-tokens.js";
import { CachedSessionRepository } from "../src/store/cached-sessions.js";
import { LocalBus } from "../src/store/cluster-bus.js";
import { percentile } from "./lib/percentiles.js";

const { values } = parseArgs({ options: { calls: { type: "string", default: "200000" }, rounds: { type: "string", default: "5" } } });
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
const SESSIONS = 1_000;

let asked = 0;
const inner = {
  isLive: async () => {
    asked++;
    return true;
  },
} as unknown as SessionRepository;
const sessions = new CachedSessionRepository(inner, new LocalBus(), 15 * 60_000);
const tokens = new JwtAccessTokens("bench-secret-of-at-least-32-characters!!", 900);
const issued = Array.from({ length: SESSIONS }, (_, i) => tokens.issue({ userId: `user-${i}`, sessionId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }));
const deps = { tokens, sessions };

async function timeRound(run: (token: string) => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await run(issued[i % SESSIONS]!);
  return Number(process.hrtime.bigint() - start) / CALLS;
}

const variants: [string, (token: string) => unknown][] = [
  ["verify only (before)", (token) => tokens.verify(token)],
  ["authenticate (verify + liveness cache)", (token) => authenticate(deps, token)],
];
// Warm: JIT, and every session cached as live.
for (const [, run] of variants) await timeRound(run);
const perCall = new Map<string, number[]>(variants.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) for (const [name, run] of variants) perCall.get(name)!.push(await timeRound(run));

console.log(`node ${process.version}, ${CALLS} calls x ${ROUNDS} rounds per variant, ${SESSIONS} sessions, alternating rounds`);
for (const [name, ns] of perCall) {
  const sorted = [...ns].sort((a, b) => a - b);
  console.log(`${name.padEnd(42)} median ${(percentile(sorted, 50) / 1000).toFixed(2)} µs/call  (min ${(sorted[0]! / 1000).toFixed(2)}, max ${(sorted.at(-1)! / 1000).toFixed(2)})`);
}
console.log(`session store asked ${asked} times in all (the warm-up's first call per session)`);
