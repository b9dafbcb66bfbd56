// Message search on real PostgreSQL at 1,000,000 indexed messages: query latency per query shape,
// through the adapter (the SQL the API runs) and through the use case (membership, room names,
// snippets), plus indexing throughput.
//   npx tsx bench/search.ts
// Env: BENCH_PG_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/postgres),
//      BENCH_RUNS (timed runs per shape, default 300).
// Uses (and creates) the database chat_bench_search. The seed is written by SQL straight into
// "MessageSearch" (the feeder is not involved) and kept between runs: 1,000 rooms x 1,000
// messages, interleaved in time (one message every 3 s across all rooms, ~35 days), 80% English
// and 20% Korean from a small vocabulary with a skewed (Zipf-like) word choice, plus a rare code
// word ("code-xxxxxx") in about one message in 2,000. The searching users: one in 100 rooms
// (100,000 messages, 10% of the data), one in 10 rooms.

import { performance } from "node:perf_hooks";

import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { pino } from "pino";

import { messageId, type Message } from "../src/domain/message.js";
import { searchMessages, type SearchDeps } from "../src/domain/search.js";
import { foldText } from "../src/domain/search-text.js";
import { PrismaClient } from "../src/store/generated/prisma/client.js";
import { applyPostgresMigrations } from "../src/store/migrate.js";
import { PgMessageSearch, RECENT_WINDOW } from "../src/store/pg-message-search.js";
import { PrismaRoomRepository } from "../src/store/prisma-rooms.js";
import { PrismaUserRepository } from "../src/store/prisma-users.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { percentileAtFloorIndex } from "./lib/percentiles.js";

const database = new BenchDatabase("chat_bench_search", adminUrlFrom("BENCH_PG_URL"));
const RUNS = Number(process.env.BENCH_RUNS || 300);
const WARMUP = 20;
const ROOMS = 1_000;
const PER_ROOM = 1_000;
const TOTAL = ROOMS * PER_ROOM;
const SEED_STEP = 100_000;

const EN =
  "the,be,to,of,and,a,in,that,have,i,it,for,not,on,with,he,as,you,do,at,this,but,his,by,from,they,we,say,her,she,or,an,will,my,one,all,would,there,their,what,so,up,out,if,about,who,get,which,go,me,when,make,can,like,time,no,just,him,know,take,people,into,year,your,good,some,could,them,see,other,than,then,now,look,only,come,its,over,think,also,back,after,use,two,how,our,work,first,well,way,even,new,want,because,any,these,give,day,most,us,hello,meeting,lunch,tomorrow,today,thanks,please,sorry,okay,sure,great,project,deadline,coffee,weekend,movie,dinner,call,later,morning,night,office,home,train,traffic,weather,rain,birthday,party,music,game,team,review,release,deploy,server,database,bug,fix,test,design,budget,invoice,schedule,holiday,vacation,airport,ticket,hotel,restaurant,pizza,salad,football,basketball,concert,library,museum,zebra,xylophone,quartz,jigsaw,kumquat,pneumonia,rhythm,syzygy,oxygen,avocado";
const KO =
  "안녕하세요,안녕,감사합니다,고마워,오늘,내일,어제,회의,점심,저녁,아침,커피,주말,영화,친구,회사,학교,집,시간,정말,진짜,우리,같이,사랑해,괜찮아요,미안해요,좋아요,네,아니요,날씨,비가,와요,생일,축하해요,여행,공항,호텔,음식,맛있어요,배고파,피곤해,프로젝트,마감,서버,배포,테스트,버그,수정,디자인,예산,휴가,기차,버스,지하철,도착,출발,전화,문자,사진,음악,게임,운동,축구,야구,도서관,박물관,김밥";

const dbUrl = database.url;

/** Room i's id: a fixed UUID, so reruns find the same rooms. */
const roomSql = (i: string) => `md5('bench-room-' || (${i}))::uuid::text`;

const pct = percentileAtFloorIndex;

async function ensureDatabase(): Promise<void> {
  await database.ensure();
  await applyPostgresMigrations(dbUrl, pino({ level: "silent" }));
}

async function seed(db: pg.Client): Promise<void> {
  // The seed stores text as its own folded form; true for this vocabulary (lower case, Hangul).
  for (const w of [...EN.split(","), ...KO.split(",")]) if (foldText(w) !== w) throw new Error(`vocabulary word ${w} is not folded`);
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "MessageSearch"`);
  if (Number(rows[0]!.n) >= TOTAL) return void console.log(`seed: ${rows[0]!.n} messages present, kept`);
  console.log(`seed: writing ${TOTAL.toLocaleString("en")} messages (a few minutes)...`);
  const t0 = performance.now();
  await db.query(`TRUNCATE "MessageSearch"`);
  await db.query(`SELECT setseed(0.42)`);
  for (let from = 0; from < TOTAL; from += SEED_STEP) {
    // i -> room i % ROOMS, seq i / ROOMS + 1, one message every 3 s; words picked with random()^2.5,
    // so the first words of each list are by far the most frequent.
    await db.query(
      `INSERT INTO "MessageSearch" ("roomId", seq, "createdAt", folded, message)
       SELECT room, seq, created, t, jsonb_build_object('id', room || ':' || seq, 'roomId', room, 'seq', seq,
         'senderId', md5('bench-user-' || (i % 5000))::uuid::text, 'type', 'text', 'text', t, 'attachments', '[]'::jsonb,
         'clientMsgId', md5('bench-c-' || i)::uuid::text, 'createdAt', to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
       FROM (
         SELECT i, ${roomSql(`i % ${ROOMS}`)} AS room, (i / ${ROOMS}) + 1 AS seq,
           timestamptz '2026-10-01T00:00:00Z' + i * interval '3 seconds' AS created,
           CASE WHEN random() < 0.2
             THEN (SELECT string_agg(v[1 + floor(array_length(v, 1) * random() ^ 2.5)::int], ' ') FROM generate_series(1, 2 + (i % 7)), (SELECT $2::text[] AS v) k)
             ELSE (SELECT string_agg(v[1 + floor(array_length(v, 1) * random() ^ 2.5)::int], ' ') FROM generate_series(1, 3 + (i % 13)), (SELECT $1::text[] AS v) e)
           END || CASE WHEN random() < 0.0005 THEN ' code-' || substr(md5(i::text), 1, 6) ELSE '' END AS t
         FROM generate_series($3::int, $4::int) AS i
       ) x`,
      [EN.split(","), KO.split(","), from, Math.min(TOTAL, from + SEED_STEP) - 1],
    );
    process.stdout.write(`  ${(from + SEED_STEP).toLocaleString("en")} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  await db.query(`VACUUM ANALYZE "MessageSearch"`);
  console.log(`seed: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** Users, rooms and memberships for the use-case measurement (idempotent). */
async function seedPeople(db: pg.Client): Promise<{ user100: string; user10: string }> {
  const user100 = "0196b1a0-0000-7000-8000-000000000100";
  const user10 = "0196b1a0-0000-7000-8000-000000000010";
  await db.query(
    `INSERT INTO "User" (id, email, "passwordHash", "displayName") VALUES ($1, 'bench100@example.test', 'x', 'Bench 100'), ($2, 'bench10@example.test', 'x', 'Bench 10')
     ON CONFLICT DO NOTHING`,
    [user100, user10],
  );
  await db.query(
    `INSERT INTO "Room" (id, type, name, "createdById") SELECT ${roomSql("r")}::uuid, 'group', 'Room ' || r, $1 FROM generate_series(0, ${ROOMS - 1}) r ON CONFLICT DO NOTHING`,
    [user100],
  );
  // user100: every 10th room (100 rooms); user10: every 100th room, offset (10 rooms).
  await db.query(`INSERT INTO "Membership" ("roomId", "userId") SELECT ${roomSql("r")}::uuid, $1 FROM generate_series(3, ${ROOMS - 1}, 10) r ON CONFLICT DO NOTHING`, [user100]);
  await db.query(`INSERT INTO "Membership" ("roomId", "userId") SELECT ${roomSql("r")}::uuid, $1 FROM generate_series(7, ${ROOMS - 1}, 100) r ON CONFLICT DO NOTHING`, [user10]);
  return { user100, user10 };
}

interface Shape {
  name: string;
  run: () => Promise<number>; // the number of results
}

async function measure(shape: Shape): Promise<string> {
  let results = 0;
  for (let i = 0; i < WARMUP; i++) results = await shape.run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await shape.run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return `${shape.name.padEnd(48)} ${String(results).padStart(4)} ${pct(times, 50).toFixed(2).padStart(8)} ${pct(times, 99).toFixed(2).padStart(8)} ${mean.toFixed(2).padStart(8)} ${times.at(-1)!.toFixed(2).padStart(8)}`;
}

async function indexingThroughput(search: PgMessageSearch, db: pg.Client): Promise<string> {
  const room = "00000000-0000-4000-8000-00000000beef";
  await db.query(`DELETE FROM "MessageSearch" WHERE "roomId" = $1`, [room]);
  const batches = 40;
  const size = 500;
  const en = EN.split(",");
  const ko = KO.split(",");
  const t = performance.now();
  for (let b = 0; b < batches; b++) {
    const batch: Message[] = [];
    for (let k = 0; k < size; k++) {
      const seq = b * size + k + 1;
      const words = seq % 5 === 0 ? ko : en;
      const text = Array.from({ length: 8 }, (_, j) => words[(seq * 31 + j * 17) % words.length]).join(" ");
      batch.push({ id: messageId(room, seq), roomId: room, seq, rev: seq, senderId: "bench", type: "text", text, attachments: [], reactions: [], clientMsgId: null, createdAt: new Date().toISOString() });
    }
    await search.apply(batch);
  }
  const seconds = (performance.now() - t) / 1000;
  await db.query(`DELETE FROM "MessageSearch" WHERE "roomId" = $1`, [room]);
  return `indexing: ${batches} batches of ${size} new messages in ${seconds.toFixed(2)} s = ${((batches * size) / seconds).toFixed(0)} messages/s (one writer, as the feeder)`;
}

async function main() {
  await ensureDatabase();
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  await seed(db);
  const { user100, user10 } = await seedPeople(db);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: dbUrl, max: 4 }) });
  const search = new PgMessageSearch(prisma);
  const deps: SearchDeps = {
    rooms: new PrismaRoomRepository(prisma, (err) => console.error(err)),
    users: new PrismaUserRepository(prisma),
    search,
  };

  const roomsOf = async (userId: string) => (await db.query<{ roomId: string }>(`SELECT "roomId"::text FROM "Membership" WHERE "userId" = $1`, [userId])).rows.map((r) => r.roomId);
  const rooms100 = await roomsOf(user100);
  const rooms10 = await roomsOf(user10);
  const { rows: codeRows } = await db.query<{ code: string }>(
    `SELECT substring(folded FROM 'code-[0-9a-f]{6}') AS code FROM "MessageSearch" WHERE "roomId" = ANY($1) AND folded LIKE '%code-%' ORDER BY "createdAt" LIMIT 1`,
    [rooms100],
  );
  const code = codeRows[0]?.code ?? "code-000000";
  const { rows: freq } = await db.query<{ q: string; share: string }>(
    `SELECT q, round(100.0 * count(*) FILTER (WHERE strpos(folded, q) > 0) / count(*), 3) AS share
     FROM "MessageSearch", unnest($1::text[]) AS q WHERE "roomId" = ANY($2) GROUP BY q`,
    [["the", "hello", "avocado", "안녕", "회의", "감사합니다", "z", "밥", code, "qqxq"], rooms100],
  );
  console.log(`\n${TOTAL.toLocaleString("en")} messages in ${ROOMS} rooms; searching user in ${rooms100.length} rooms (${(rooms100.length * PER_ROOM).toLocaleString("en")} messages). RECENT_WINDOW = ${RECENT_WINDOW}.`);
  console.log(`share of that user's messages matching: ${freq.map((f) => `${f.q} ${f.share}%`).join(", ")}`);
  const sizes = await db.query(
    `SELECT pg_size_pretty(pg_relation_size('"MessageSearch"')) AS heap, pg_size_pretty(pg_relation_size('"MessageSearch_terms_idx"')) AS terms,
       pg_size_pretty(pg_total_relation_size('"MessageSearch"')) AS total`,
  );
  console.log(`table ${sizes.rows[0].heap}, bigram index ${sizes.rows[0].terms}, total with indexes ${sizes.rows[0].total}`);

  const port = (rooms: string[], text: string, limit = 50) => async () => (await search.search({ roomIds: rooms, text, limit })).hits.length;
  const firstPage = await search.search({ roomIds: rooms100, text: "hello", limit: 50 });
  const last = firstPage.hits.at(-1)!;
  const shapes: Shape[] = [
    { name: `port, 100 rooms: "the" (very common)`, run: port(rooms100, "the") },
    { name: `port, 100 rooms: "hello" (common)`, run: port(rooms100, "hello") },
    { name: `port, 100 rooms: "hello", page 2 (cursor)`, run: async () => (await search.search({ roomIds: rooms100, text: "hello", limit: 50, after: { createdAt: last.createdAt, roomId: last.roomId, seq: last.seq } })).hits.length },
    { name: `port, 100 rooms: "avocado" (rarer)`, run: port(rooms100, "avocado") },
    { name: `port, 100 rooms: "${code}" (one message)`, run: port(rooms100, code) },
    { name: `port, 100 rooms: "qqxq" (no match)`, run: port(rooms100, "qqxq") },
    { name: `port, 100 rooms: "안녕" (Korean, 2 chars)`, run: port(rooms100, "안녕") },
    { name: `port, 100 rooms: "회의" (Korean, 2 chars)`, run: port(rooms100, "회의") },
    { name: `port, 100 rooms: "감사합니다" (Korean, 5 chars)`, run: port(rooms100, "감사합니다") },
    { name: `port, 100 rooms: "z" (one character)`, run: port(rooms100, "z") },
    { name: `port, 100 rooms: "ㅋ" (one character, no match)`, run: port(rooms100, "ㅋ") },
    { name: `port, 100 rooms: "밥" (one character, rare)`, run: port(rooms100, "밥") },
    { name: `port, 1 room: "hello"`, run: port([rooms100[0]!], "hello") },
    { name: `port, 1 room: "avocado"`, run: port([rooms100[0]!], "avocado") },
    { name: `port, 10 rooms: "hello"`, run: port(rooms10, "hello") },
    { name: `port, 10 rooms: "${code}"`, run: port(rooms10, code) },
    { name: `use case, 100 rooms: "hello"`, run: async () => (await searchMessages(deps, user100, { q: "hello", limit: 50 })).results.length },
    { name: `use case, 100 rooms: "avocado"`, run: async () => (await searchMessages(deps, user100, { q: "avocado", limit: 50 })).results.length },
    { name: `use case, 100 rooms: "안녕"`, run: async () => (await searchMessages(deps, user100, { q: "안녕", limit: 50 })).results.length },
    { name: `use case, 100 rooms: "qqxq" (no match)`, run: async () => (await searchMessages(deps, user100, { q: "qqxq", limit: 50 })).results.length },
  ];
  console.log(`\n${"query (limit 50, serial, warm cache)".padEnd(48)} ${"hits".padStart(4)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"mean ms".padStart(8)} ${"max ms".padStart(8)}`);
  for (const shape of shapes) console.log(await measure(shape));
  console.log(`\n${await indexingThroughput(search, db)}`);

  await prisma.$disconnect();
  await db.end();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
