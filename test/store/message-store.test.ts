// Runs the MessageStore contract against every adapter, plus adapter-specific checks.

import { randomUUID } from "node:crypto";

import { expect } from "chai";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { pino } from "pino";

import type { MessageDraft } from "../../src/domain/ports/message-store.js";
import { PrismaClient } from "../../src/store/generated/prisma/client.js";
import { applyPgliteMigrations } from "../../src/store/migrate.js";
import { connectMongo, MongoMessageStore } from "../../src/store/mongo-message-store.js";
import { openDatabase, type PlainSql } from "../../src/store/database.js";
import { DEFAULT_CHUNK_LIMITS } from "../../src/store/message-chunks.js";
import { closesAt } from "../../src/store/pg-message-batch.js";
import { FOLD_SPREAD, PgMessageStore } from "../../src/store/pg-message-store.js";
import { migratedPglite } from "../helpers/embedded-db.js";
import { mongoUrl, testDatabase } from "../helpers/services.js";
import { messageStoreContract } from "./message-store.contract.js";

const silent = pino({ level: "silent" });

/** As a node opens it: Prisma, and the pool the batch writes go through (Database.messageWrites). */
async function openPostgres() {
  const db = await openDatabase({ databaseUrl: await testDatabase(), dataDir: "(unused with a database URL)", poolSize: 8 }, silent);
  return { prisma: db.prisma, writes: db.messageWrites, reads: db.sql, close: () => db.close() };
}

messageStoreContract("PgMessageStore on PostgreSQL", async () => {
  const { prisma, writes, reads, close } = await openPostgres();
  const store = new PgMessageStore(prisma, { writes, reads });
  // Another node: its own group commit and remembered heads, the same database.
  const peer = new PgMessageStore(prisma, { writes, reads });
  return { store, peer, cleanup: async () => (await store.close(), await peer.close(), await close()) };
});

messageStoreContract("PgMessageStore on PGlite", async () => {
  // In memory, from a dump of the run's migrated database (test/helpers/embedded-db.ts): PGlite's
  // initdb is seconds of CPU. The migrations find nothing due, as at a node's every start.
  const db = await migratedPglite();
  await applyPgliteMigrations(db, silent);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  const store = new PgMessageStore(prisma, { maxInFlight: 1 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await prisma.$disconnect();
      await db.close();
    },
  };
});

if (mongoUrl) {
  const url = mongoUrl;
  messageStoreContract("MongoMessageStore on MongoDB", async () => {
    const dbName = `chat_test_${randomUUID().slice(0, 8)}`;
    const connection = await connectMongo(url, { dbName });
    // Another node: its own connection (pool, sessions, models), the same database.
    const peerConnection = await connectMongo(url, { dbName });
    const store = new MongoMessageStore(connection);
    const peer = new MongoMessageStore(peerConnection);
    await store.init();
    await peer.init();
    return {
      store,
      peer,
      cleanup: async () => {
        await store.close();
        await peer.close();
        await peerConnection.close();
        await connection.dropDatabase();
        await connection.close();
      },
    };
  });
} else {
  describe("MessageStore contract: MongoMessageStore on MongoDB", () => {
    before(() => console.log("    MongoMessageStore contract SKIPPED: MONGO_URL not set (no MongoDB server can be installed here)"));
    // A pending marker without a body, not an empty case: it is reported as pending and can never pass.
    it("runs the MessageStore contract (needs MONGO_URL)");
  });
}

describe("PgMessageStore group commit on PostgreSQL", function () {
  this.timeout(30_000);
  let prisma: InstanceType<typeof PrismaClient>;
  let writes: PlainSql | null;
  let close: () => Promise<void>;
  before(async () => ({ prisma, writes, close } = await openPostgres()));
  after(() => close?.());

  const draft = (roomId: string, text: string): MessageDraft => ({
    roomId, senderId: "u", type: "text", text, attachments: [], clientMsgId: randomUUID(),
  });

  it("commits concurrent appends in few transactions, in seq order", async () => {
    const store = new PgMessageStore(prisma, { maxInFlight: 2, writes });
    const room = randomUUID();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => store.append(draft(room, `g${i}`), new Date())));
    // One room is one lane: its appends get seqs in submission order.
    expect(results.map((r) => r.message.seq)).to.deep.equal(Array.from({ length: 300 }, (_, i) => i + 1));
    // Each key row carries the id of the transaction that wrote it.
    const [tx] = await prisma.$queryRaw<{ n: number }[]>`SELECT count(DISTINCT xmin::text)::int AS n FROM "MessageKey" WHERE "roomId" = ${room}`;
    expect(tx!.n).to.be.within(1, 10);
    await store.close();
  });

  it("writes the batches of a room it wrote last with one statement on the writes pool, not through Prisma", async () => {
    let ok = 0;
    let failed = 0;
    const counting: PlainSql = {
      async query<T>(text: string, params: unknown[]) {
        try {
          const rows = await writes!.query<T>(text, params);
          ok++;
          return rows;
        } catch (err) {
          failed++;
          throw err;
        }
      },
    };
    const store = new PgMessageStore(prisma, { writes: counting });
    const room = randomUUID();
    // The first batch reads the head under its lock (through Prisma); the next ones remember it.
    for (const text of ["one", "two", "three", "four"]) await store.append(draft(room, text), new Date());
    expect({ ok, failed }).to.deep.equal({ ok: 3, failed: 0 });
    const page = await store.page(room, { limit: 10 });
    expect(page.messages.map((m) => [m.seq, m.text])).to.deep.equal([[1, "one"], [2, "two"], [3, "three"], [4, "four"]]);
    await store.close();
  });

  it("a failing append fails alone: the rest of its batch is retried and stored", async () => {
    const store = new PgMessageStore(prisma, { writes });
    const [good, bad] = [randomUUID(), randomUUID()];
    await store.append(draft(bad, "first"), new Date());
    // The next seq in `bad` overflows int4: the batch's statement fails at the database.
    await prisma.$executeRaw`UPDATE "MessageHead" SET "lastSeq" = 2147483647 WHERE "roomId" = ${bad}`;
    const results = await Promise.allSettled([
      store.append(draft(good, "a"), new Date()),
      store.append(draft(bad, "boom"), new Date()),
      store.append(draft(good, "b"), new Date()),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    const page = await store.page(good, { limit: 10 });
    expect(page.messages.map((m) => [m.seq, m.text])).to.deep.equal([[1, "a"], [2, "b"]]);
    await store.close();
  });

  it("rooms that fill at one pace close their first chunks at different counts, as closesAt plans", async () => {
    const store = new PgMessageStore(prisma, { writes, limits: { maxCount: 40 } });
    const rooms = Array.from({ length: 8 }, () => randomUUID());
    // Round-robin, like rooms created together with one sending rate each.
    for (let i = 0; i < 41; i++) await Promise.all(rooms.map((room) => store.append(draft(room, `r${i}`), new Date())));
    const firstChunks = await Promise.all(rooms.map(async (room) => (await store.chunkSummaries(room))[0]!.count));
    expect(firstChunks).to.deep.equal(rooms.map((room) => closesAt(room, 1, 40, FOLD_SPREAD)));
    for (const n of firstChunks) expect(n).to.be.within(30, 40);
    expect(new Set(firstChunks).size, `first chunk sizes ${firstChunks}`).to.be.greaterThan(1);
    await store.close();
  });
});

describe("closesAt (where a PostgreSQL chunk closes)", () => {
  const max = DEFAULT_CHUNK_LIMITS.maxCount;
  it("spreads chunk ends over the last quarter of maxCount, the same for every writer", () => {
    const ends = Array.from({ length: 2_000 }, (_, i) => closesAt(randomUUID(), 1 + (i % 7) * 100, max, FOLD_SPREAD));
    expect(Math.min(...ends)).to.equal(max * (1 - FOLD_SPREAD));
    expect(Math.max(...ends)).to.equal(max);
    expect(new Set(ends).size).to.equal(max * FOLD_SPREAD + 1);
    const room = randomUUID();
    expect(closesAt(room, 301, max, FOLD_SPREAD)).to.equal(closesAt(room, 301, max, FOLD_SPREAD));
  });
  it("closes exactly at maxCount without a spread", () => {
    expect(closesAt(randomUUID(), 1, max, 0)).to.equal(max);
    expect(closesAt(randomUUID(), 1, 5, 0.1)).to.equal(5);
  });
});
