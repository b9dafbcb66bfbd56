// PgMessageStore alone on real PostgreSQL: appends with a share of changes (reactions) to the
// rooms' newest messages, at a fixed offered rate, as the mixed chat scenario sends them but
// without sockets: how the store's group commit carries changes beside appends.
//   npx tsx bench/message-changes.ts [--rate 1000] [--changes 0.2] [--rooms 100] [--seconds 8]
// Env: BENCH_PG_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres).
// Uses (and creates) the database chat_bench_changes. Latencies count after a 2 s warm-up.

import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

import { pino } from "pino";

import { MESSAGE_WRITES_IN_FLIGHT, openDatabase } from "../src/store/database.js";
import { PgMessageStore } from "../src/store/pg-message-store.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { percentileAtFloorIndex as pct } from "./lib/percentiles.js";

const { values } = parseArgs({
  options: { rate: { type: "string", default: "1000" }, changes: { type: "string", default: "0.2" }, rooms: { type: "string", default: "100" }, seconds: { type: "string", default: "8" } },
});
const RATE = Number(values.rate);
const CHANGES = Number(values.changes);
const ROOMS = Number(values.rooms);
const SECONDS = Number(values.seconds);
const WARMUP_MS = 2_000;
const EMOJI = ["👍", "❤️", "😂", "🎉"];

const database = new BenchDatabase("chat_bench_changes", adminUrlFrom("BENCH_PG_URL"));
await database.ensure();
const log = pino({ level: "silent" });
const db = await openDatabase({ databaseUrl: database.url, dataDir: "./data", poolSize: 20 }, log);
const store = new PgMessageStore(db.prisma, { maxInFlight: MESSAGE_WRITES_IN_FLIGHT, writes: db.messageWrites, reads: db.sql });

const rooms = Array.from({ length: ROOMS }, () => randomUUID());
const newest = new Map<string, number>();
const lat = { append: [] as number[], change: [] as number[] };
let failed = 0;
const work: Promise<void>[] = [];
const start = performance.now();
let sent = 0;
while (performance.now() - start < SECONDS * 1000) {
  const due = Math.floor(((performance.now() - start) / 1000) * RATE);
  for (; sent < due; sent++) {
    const roomId = rooms[sent % ROOMS]!;
    const last = newest.get(roomId) ?? 0;
    const t0 = performance.now();
    const timed = (kind: keyof typeof lat) => () => {
      if (t0 - start > WARMUP_MS) lat[kind].push(performance.now() - t0);
    };
    if (last > 0 && Math.random() < CHANGES) {
      const seq = Math.max(1, last - Math.floor(Math.random() * 5));
      const change = { kind: "react" as const, emoji: EMOJI[sent % EMOJI.length]!, userId: randomUUID(), add: true };
      work.push(store.change(roomId, seq, change, new Date()).then(timed("change"), () => void failed++));
    } else {
      const draft = { roomId, senderId: "bench", type: "text" as const, text: `m${sent}`, attachments: [], clientMsgId: randomUUID() };
      work.push(
        store.append(draft, new Date()).then((r) => {
          newest.set(roomId, Math.max(newest.get(roomId) ?? 0, r.message.seq));
          timed("append")();
        }, () => void failed++),
      );
    }
  }
  await new Promise((r) => setTimeout(r, 5));
}
await Promise.all(work);
const elapsed = (performance.now() - start) / 1000;
console.log(`${ROOMS} rooms, offered ${RATE}/s with ${Math.round(CHANGES * 100)}% changes, ${SECONDS} s (latency after ${WARMUP_MS / 1000} s):`);
for (const [kind, v] of Object.entries(lat)) {
  v.sort((a, b) => a - b);
  console.log(`  ${kind.padEnd(6)} ${String(v.length).padStart(6)} done, p50 ${pct(v, 50).toFixed(1)} ms, p99 ${pct(v, 99).toFixed(1)} ms`);
}
console.log(`  completed ${((sent - failed) / elapsed).toFixed(0)}/s, ${failed} failed`);
await store.close();
await db.close();
