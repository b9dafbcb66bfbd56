// PgMessageStore on real PostgreSQL: append throughput/latency and history page reads.
//   npx tsx bench/message-store.ts [appends|reads|all]
// Env: BENCH_PG_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres),
//      BENCH_SECONDS (per append run, default 8), BENCH_WRITERS (e.g. "1,50,200,1000"),
//      BENCH_POOL (Prisma pool size, default 10), BENCH_IN_FLIGHT (batches at once, default 4).
// Uses (and creates) the database chat_bench_store; the 1M-message seed is kept between runs.

import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";

import { PrismaPg } from "@prisma/adapter-pg";
import { pino } from "pino";

import type { MessageDraft } from "../src/domain/ports/message-store.js";
import { PrismaClient } from "../src/store/generated/prisma/client.js";
import { applyPostgresMigrations } from "../src/store/migrate.js";
import { PgMessageStore } from "../src/store/pg-message-store.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { percentileAtFloorIndex } from "./lib/percentiles.js";
import { cpuDeltaMs, cpuOfPids, type CpuByPid } from "./lib/postgres-cpu.js";

const database = new BenchDatabase("chat_bench_store", adminUrlFrom("BENCH_PG_URL"));
const SECONDS = Number(process.env.BENCH_SECONDS || 8);
const WRITERS = (process.env.BENCH_WRITERS || "1,50,200,1000").split(",").map(Number);
const POOL = Number(process.env.BENCH_POOL || 10);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT || 4);
const SEED_ROOMS = 100;
const SEED_PER_ROOM = 10_000; // 100 × 10,000 = 1,000,000 messages
const SEED_CHUNK = 100;

const dbUrl = database.url;

const pct = percentileAtFloorIndex;
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function ensureDatabase(): Promise<void> {
  await database.ensure();
  await applyPostgresMigrations(dbUrl, pino({ level: "silent" }));
}

/** CPU ms used so far by this database's backends (from /proc; needs the server on this machine). */
async function pgCpu(prisma: InstanceType<typeof PrismaClient>): Promise<CpuByPid> {
  const rows = await prisma.$queryRaw<{ pid: number }[]>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;
  return cpuOfPids(rows.map((r) => r.pid));
}
const cpuDelta = (a: CpuByPid, b: CpuByPid) => cpuDeltaMs(a, b) / 1000;

const text = () => `bench message ${randomUUID().slice(0, 8)} — the quick brown fox jumps over the lazy dog ${"x".repeat(Math.floor(Math.random() * 60))}`;

async function appendRun(prisma: InstanceType<typeof PrismaClient>, label: string, rooms: string[], writers: number, opts: { maxBatch?: number }) {
  const store = new PgMessageStore(prisma, { maxInFlight: IN_FLIGHT, ...opts });
  const senders = Array.from({ length: 50 }, () => randomUUID());
  const lat: number[] = [];
  let stop = false;
  const started = performance.now();
  const worker = async () => {
    while (!stop) {
      const d: MessageDraft = {
        roomId: rooms[Math.floor(Math.random() * rooms.length)]!,
        senderId: senders[Math.floor(Math.random() * senders.length)]!,
        type: "text", text: text(), attachments: [], clientMsgId: randomUUID(),
      };
      const t = performance.now();
      await store.append(d, new Date());
      lat.push(performance.now() - t);
    }
  };
  const pg0 = await pgCpu(prisma);
  const cpu0 = process.cpuUsage();
  const timer = setTimeout(() => (stop = true), SECONDS * 1000);
  await Promise.all(Array.from({ length: writers }, worker));
  clearTimeout(timer);
  const secs = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pgSecs = cpuDelta(pg0, await pgCpu(prisma));
  const nodeSecs = (cpu.user + cpu.system) / 1e6;
  await store.close();
  lat.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(38)} writers=${String(writers).padStart(4)}  ${String(Math.round(lat.length / secs)).padStart(6)} acked/s  p50 ${ms(pct(lat, 50))}  p99 ${ms(pct(lat, 99))}` +
      `  cpu/msg: node ${Math.round((nodeSecs / lat.length) * 1e6)} µs + pg ${Math.round((pgSecs / lat.length) * 1e6)} µs  (${lat.length} in ${secs.toFixed(1)} s)`,
  );
}

async function appends(prisma: InstanceType<typeof PrismaClient>): Promise<void> {
  console.log(`\n(a) appends: ${SECONDS} s per run, pool ${POOL}, maxInFlight ${IN_FLIGHT}; each writer awaits its ack, then sends again`);
  console.log("    cpu/msg: this process (the bench's writers included) and this database's backends (WAL writer etc. excluded)");
  const spread = Array.from({ length: 100 }, () => randomUUID());
  const hot = [randomUUID()];
  for (const [label, opts] of [
    ["before: 1 tx per append", { maxBatch: 1 }],
    ["after: group commit", {}],
  ] as const) {
    for (const writers of WRITERS) await appendRun(prisma, `${label}, 100 rooms`, spread, writers, opts);
    for (const writers of WRITERS) await appendRun(prisma, `${label}, 1 hot room`, hot, writers, opts);
  }
  // Leave only the seed behind, so (b) reads at the size it says.
  const rooms = JSON.stringify([...spread, ...hot]);
  for (const table of ["MessageChunk", "MessageTail", "MessageKey", "MessageHead"]) {
    await prisma.$executeRawUnsafe(`DELETE FROM "${table}" WHERE "roomId" IN (SELECT jsonb_array_elements_text($1::jsonb))`, rooms);
  }
}

/** 1M messages in 100 rooms as full chunks, built in SQL; skipped when already there. */
async function seed(prisma: InstanceType<typeof PrismaClient>): Promise<string[]> {
  const rooms = Array.from({ length: SEED_ROOMS }, (_, i) => `seed-room-${String(i).padStart(3, "0")}`);
  const [have] = await prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "MessageHead" WHERE "roomId" LIKE 'seed-room-%' AND "lastSeq" = ${SEED_PER_ROOM}`;
  if (have?.n === SEED_ROOMS) {
    console.log(`seed: ${SEED_ROOMS * SEED_PER_ROOM} messages already present`);
    return rooms;
  }
  const t = performance.now();
  const chunksPerRoom = SEED_PER_ROOM / SEED_CHUNK;
  await prisma.$executeRaw`DELETE FROM "MessageChunk" WHERE "roomId" LIKE 'seed-room-%'`;
  await prisma.$executeRaw`DELETE FROM "MessageHead" WHERE "roomId" LIKE 'seed-room-%'`;
  await prisma.$executeRaw`
    INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
    SELECT 'seed-room-' || lpad(r::text, 3, '0'), c * ${SEED_CHUNK}::int + 1, (c + 1) * ${SEED_CHUNK}::int,
           date_trunc('day', now()), ${SEED_CHUNK}::int, ${SEED_CHUNK * 230}::int,
           (SELECT jsonb_agg(jsonb_build_object(
              'seq', c * ${SEED_CHUNK}::int + s, 'senderId', md5((s % 7)::text), 'type', 'text',
              'text', 'seeded message ' || (c * ${SEED_CHUNK}::int + s) || ' in room ' || r || ' lorem ipsum dolor sit amet',
              'attachments', '[]'::jsonb, 'clientMsgId', md5(r::text || '-' || (c * ${SEED_CHUNK}::int + s)::text),
              'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY s)
            FROM generate_series(1, ${SEED_CHUNK}::int) AS s)
    FROM generate_series(0, ${SEED_ROOMS - 1}::int) AS r, generate_series(0, ${chunksPerRoom - 1}::int) AS c`;
  await prisma.$executeRaw`
    INSERT INTO "MessageHead" ("roomId", "lastSeq", "lastMessage", "openFirstSeq", "openBucket", "openCount", "openBytes")
    SELECT "roomId", "lastSeq", messages -> -1, "lastSeq" + 1, bucket, 0, 0 FROM "MessageChunk"
    WHERE "roomId" LIKE 'seed-room-%' AND "lastSeq" = ${SEED_PER_ROOM}::int`;
  await prisma.$executeRaw`ANALYZE "MessageChunk"`;
  console.log(`seed: inserted ${SEED_ROOMS * SEED_PER_ROOM} messages (${SEED_ROOMS * chunksPerRoom} chunks) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return rooms;
}

async function reads(prisma: InstanceType<typeof PrismaClient>): Promise<void> {
  const rooms = await seed(prisma);
  const [stats] = await prisma.$queryRaw<{ msgs: bigint; chunks: bigint; size: string }[]>`
    SELECT sum(count)::bigint AS msgs, count(*)::bigint AS chunks, pg_size_pretty(pg_total_relation_size('"MessageChunk"')) AS size FROM "MessageChunk"`;
  console.log(`\n(b) history pages (limit 50, random before) over ${stats!.msgs} messages in ${stats!.chunks} chunks (${stats!.size})`);
  const store = new PgMessageStore(prisma);
  for (const concurrency of [1, 16]) {
    const lat: number[] = [];
    const total = concurrency === 1 ? 2000 : 8000;
    let left = total;
    const pg0 = await pgCpu(prisma);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) {
          const room = rooms[Math.floor(Math.random() * rooms.length)]!;
          const before = 2 + Math.floor(Math.random() * SEED_PER_ROOM);
          const t = performance.now();
          const page = await store.page(room, { before, limit: 50 });
          lat.push(performance.now() - t);
          if (page.messages.length !== Math.min(50, before - 1)) throw new Error(`short page: ${page.messages.length}`);
        }
      }),
    );
    const secs = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const pgSecs = cpuDelta(pg0, await pgCpu(prisma));
    lat.sort((a, b) => a - b);
    console.log(
      `page(before, 50)  concurrency=${String(concurrency).padStart(2)}  ${Math.round(lat.length / secs)} pages/s  p50 ${ms(pct(lat, 50))}  p99 ${ms(pct(lat, 99))}` +
        `  cpu/page: node ${Math.round(((cpu.user + cpu.system) / 1e6 / lat.length) * 1e6)} µs + pg ${Math.round((pgSecs / lat.length) * 1e6)} µs`,
    );
  }
}

async function main(): Promise<void> {
  const what = process.argv[2] ?? "all";
  await ensureDatabase();
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: dbUrl, max: POOL }) });
  try {
    if (what === "all" || what === "appends") await appends(prisma);
    if (what === "all" || what === "reads") await reads(prisma);
  } finally {
    await prisma.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
