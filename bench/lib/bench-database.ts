// A bench's own PostgreSQL database: its URL beside the admin connection, and creating, re-creating
// and dropping it over that connection. Every bench and the scale-out runner use a database of their
// own name, so that two of them (and the test suites) can run at once.
import pg from "pg";

export const LOCAL_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

/** The admin connection URL from the first of these environment variables that is set, else the local server. */
export function adminUrlFrom(...variables: string[]): string {
  for (const name of variables) {
    const value = process.env[name];
    if (value) return value;
  }
  return LOCAL_ADMIN_URL;
}

export class BenchDatabase {
  /** The bench database's URL: the admin URL with its name as the path. */
  readonly url: string;

  /** `hint` ends the error said when the server is unreachable (e.g. which variable to set). */
  constructor(
    readonly name: string,
    readonly adminUrl: string,
    private readonly hint = "",
  ) {
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    this.url = u.toString();
  }

  /** Runs `work` on a fresh admin connection, closed afterwards. */
  async admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 5_000 });
    try {
      await c.connect();
    } catch (err) {
      throw new Error(`PostgreSQL is not reachable at ${this.adminUrl} (${(err as Error).message})${this.hint ? `; ${this.hint}` : ""}`);
    }
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  /** Drops the database (its open connections too) and creates it empty. */
  recreate(): Promise<void> {
    return this.admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${this.name}"`);
    });
  }

  /** Creates the database if it is missing; `fresh` drops it first, so a run starts from the same state. */
  ensure(fresh = false): Promise<void> {
    return this.admin(async (c) => {
      if (fresh) await c.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`);
      const r = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [this.name]);
      if (r.rowCount === 0) await c.query(`CREATE DATABASE "${this.name}"`);
    });
  }

  drop(): Promise<void> {
    return this.admin((c) => c.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`)).then(() => undefined);
  }
}
