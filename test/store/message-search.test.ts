// Runs the MessageSearchIndex contract against every adapter.

import { randomUUID } from "node:crypto";

import { PrismaPGlite } from "pglite-prisma-adapter";
import { pino } from "pino";

import { PrismaClient } from "../../src/store/generated/prisma/client.js";
import { applyPgliteMigrations } from "../../src/store/migrate.js";
import { connectMongo } from "../../src/store/mongo-message-store.js";
import { MongoMessageSearch } from "../../src/store/mongo-message-search.js";
import { openDatabase } from "../../src/store/database.js";
import { PgMessageSearch, RECENT_WINDOW } from "../../src/store/pg-message-search.js";
import { migratedPglite } from "../helpers/embedded-db.js";
import { mongoUrl, testDatabase } from "../helpers/services.js";
import { messageSearchContract } from "./message-search.contract.js";

const silent = pino({ level: "silent" });

// As a node opens it: index writes on the pool for hot statements, searches through Prisma.
messageSearchContract("PgMessageSearch on PostgreSQL", async () => {
  const db = await openDatabase({ databaseUrl: await testDatabase(), dataDir: "(unused with a database URL)", poolSize: 4 }, silent);
  return { index: new PgMessageSearch(db.prisma, db.sql), recentWindow: RECENT_WINDOW, cleanup: () => db.close() };
});

messageSearchContract("PgMessageSearch on PGlite", async () => {
  // In memory, from a dump of the run's migrated database (test/helpers/embedded-db.ts): PGlite's
  // initdb is seconds of CPU. The migrations find nothing due, as at a node's every start.
  const db = await migratedPglite();
  await applyPgliteMigrations(db, silent);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    index: new PgMessageSearch(prisma),
    recentWindow: RECENT_WINDOW,
    cleanup: async () => {
      await prisma.$disconnect();
      await db.close();
    },
  };
});

if (mongoUrl) {
  const url = mongoUrl;
  messageSearchContract("MongoMessageSearch on MongoDB", async () => {
    const connection = await connectMongo(url, { dbName: `chat_test_${randomUUID().slice(0, 8)}` });
    const index = new MongoMessageSearch(connection);
    await index.init();
    return {
      index,
      recentWindow: 0,
      cleanup: async () => {
        await connection.dropDatabase();
        await connection.close();
      },
    };
  });
} else {
  describe("MessageSearchIndex contract: MongoMessageSearch on MongoDB", () => {
    before(() => console.log("    MongoMessageSearch contract SKIPPED: MONGO_URL not set (no MongoDB server can be installed here)"));
    // A pending marker without a body, not an empty case: it is reported as pending and can never pass.
    it("runs the MessageSearchIndex contract (needs MONGO_URL)");
  });
}
