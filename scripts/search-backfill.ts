// `npx tsx scripts/search-backfill.ts`: indexes for search every message already stored (messages
// from before search existed, or changes a crashed node had not flushed; see docs/search.md).
// Reads the same configuration as the server (DATABASE_URL, or the embedded database in DATA_DIR,
// which must not be in use by a running node). Safe to run while nodes serve on PostgreSQL, and
// to run again: indexing is idempotent, and a version already indexed is never replaced by an
// older one, so a concurrent edit or delete is never undone.

import { pino } from "pino";

import { loadConfig } from "../src/config.js";
import type { Message } from "../src/domain/message.js";
import { openDatabase } from "../src/store/database.js";
import { openMessageBackend } from "../src/store/message-backend.js";

const PAGE = 100; // the message store's page cap
const BATCH = 500;

async function main(): Promise<void> {
  const log = pino({ level: "info" });
  const config = loadConfig(process.env);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 4 }, log);
  // The store and index the nodes use: MongoDB when MONGO_URL is set.
  const backend = await openMessageBackend({ mongoUrl: config.mongoUrl }, db, log);
  const { messages, search } = backend;
  let rooms = 0;
  let indexed = 0;
  try {
    let cursor: string | undefined;
    for (;;) {
      const page = await db.prisma.room.findMany({ select: { id: true }, orderBy: { id: "asc" }, take: 1000, ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}) });
      if (page.length === 0) break;
      for (const { id } of page) {
        let batch: Message[] = [];
        for (let after = 0, more = true; more; ) {
          const { messages: got, hasMore } = await messages.page(id, { after, limit: PAGE });
          batch.push(...got);
          after = got.at(-1)?.seq ?? after;
          more = hasMore && got.length > 0;
          if (batch.length >= BATCH || !more) {
            await search.apply(batch);
            indexed += batch.length;
            batch = [];
          }
        }
        rooms++;
      }
      cursor = page.at(-1)!.id;
      log.info({ rooms, indexed }, "search backfill progress");
    }
    log.info({ rooms, indexed }, "search backfill done");
  } finally {
    await backend.close();
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
