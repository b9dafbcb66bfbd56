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

// Every database a suite names is this process's own: `npm test` runs test files in several
// worker processes at once (mocha --parallel), and each node's background workers (transcodes,
// exports, webhook deliveries) claim any queued job of their database, so a node of another
// process would take a job whose files, or whose settings, it does not have. The pid tells which
// databases a finished run left behind; they are dropped by the next run.
const OWN_SUFFIX = `_p${process.pid}`;
const OWN_NAME = /^chat_test\w*_p(\d+)$/;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Drops the databases of test processes that are gone (another process may be dropping them too). */
async function dropLeftBehind(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'chat\\_test%'");
  for (const { datname } of rows) {
    const pid = OWN_NAME.exec(datname)?.[1];
    if (!pid || alive(Number(pid))) continue;
    await client.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => {});
  }
}

let swept: Promise<void> | undefined;
const created = new Map<string, Promise<string>>();

/**
 * This process's database called `name` (created once, migrated by the node that opens it); its
 * real name carries the process's id, so read it from the URL.
 */
export function testDatabase(name = "chat_test"): Promise<string> {
  let ready = created.get(name);
  if (!ready) {
    const own = `${name}${OWN_SUFFIX}`;
    ready = (async () => {
      const client = new pg.Client({ connectionString: adminPgUrl });
      await client.connect();
      try {
        swept ??= dropLeftBehind(client);
        await swept;
        const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [own]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${own}"`).catch((err) => {
          if (err.code !== "42P04") throw err; // created meanwhile
        });
      } finally {
        await client.end();
      }
      return databaseUrl(own);
    })();
    created.set(name, ready);
    ready.catch(() => created.delete(name));
  }
  return ready;
}

/** The database a URL names (testDatabase's real name). */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}
