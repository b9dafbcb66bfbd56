import pg from "pg";

/** Real services the suites talk to; .ci/run exports these (defaults: the local servers). */
export const adminPgUrl = process.env.TEST_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
export const redisUrl = process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379";
export const mongoUrl = process.env.MONGO_URL || undefined;

export function databaseUrl(name: string): string {
  const url = new URL(adminPgUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const created = new Map<string, Promise<string>>();

/** A database for this test run (created once, migrated by the node that opens it). */
export function testDatabase(name = "chat_test"): Promise<string> {
  let ready = created.get(name);
  if (!ready) {
    ready = (async () => {
      const client = new pg.Client({ connectionString: adminPgUrl });
      await client.connect();
      try {
        const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`).catch((err) => {
          if (err.code !== "42P04") throw err; // created meanwhile by a parallel run
        });
      } finally {
        await client.end();
      }
      return databaseUrl(name);
    })();
    created.set(name, ready);
  }
  return ready;
}
