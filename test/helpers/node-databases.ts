// For suites that play several nodes on one PostgreSQL: the test database, migrated once, and
// databases opened on it as a node opens them (pools of their own). What a test opens, and what it
// hands to `closing` (a store on those pools), is closed after it, newest first.
import { pino } from "pino";

import { openDatabase, type Database } from "../../src/store/database.js";
import { applyPostgresMigrations } from "../../src/store/migrate.js";
import { testDatabase } from "./services.js";

const silent = pino({ level: "silent" });

export function useNodeDatabases(poolSize: number) {
  let url = "";
  const opened: { close(): Promise<void> }[] = [];
  before(async () => {
    url = await testDatabase();
    await applyPostgresMigrations(url, silent);
  });
  afterEach(async () => {
    for (const c of opened.splice(0).reverse()) await c.close();
  });
  return {
    url: () => url,
    async open(): Promise<Database> {
      const db = await openDatabase({ databaseUrl: url, dataDir: "(unused with a database URL)", poolSize }, silent);
      opened.push(db);
      return db;
    },
    closing<T extends { close(): Promise<void> }>(c: T): T {
      opened.push(c);
      return c;
    },
  };
}
