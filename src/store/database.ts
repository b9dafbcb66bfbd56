import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import lockfile from "proper-lockfile";
import type { Logger } from "../logger.js";
import { PrismaClient, type Prisma as Sql } from "./generated/prisma/client.js";
import { applyPgliteMigrations, applyPostgresMigrations } from "./migrate.js";

export type Prisma = InstanceType<typeof PrismaClient>;

/**
 * Plain parameterised SQL for the few hottest statements, where Prisma's query layer costs several
 * times the query itself (GET /api/friends: 0.68 ms of CPU through Prisma, 0.23 ms through pg; a
 * statement with three jsonb parameters: 160 µs against 57).
 */
export interface PlainSql {
  query<T>(text: string, params: unknown[]): Promise<T[]>;
}

/** Runs a Prisma.sql statement and returns its rows. */
export type StatementRunner = <T>(statement: Sql.Sql) => Promise<T[]>;

/** Runs a Prisma.sql statement on `sql` when given (a pg pool), else through Prisma. */
export function statementRunner(prisma: Prisma, sql?: PlainSql | null): StatementRunner {
  return sql ? (statement) => sql.query(statement.text, statement.values) : (statement) => prisma.$queryRaw(statement);
}

/**
 * Message batch writes in flight at once per node on PostgreSQL, and the connections of the pool
 * that runs them (Database.messageWrites).
 */
export const MESSAGE_WRITES_IN_FLIGHT = 4;

export interface Database {
  prisma: Prisma;
  /** The hottest reads (friend lists, message heads), receipts' cursor statements, search index writes. */
  sql: PlainSql;
  /**
   * The message batch write, each call its own transaction, on a pool of its own past Prisma's
   * query layer: 57 µs of the node's CPU per call against Prisma's 160 µs (the hottest statement,
   * one call per batch of appends). Null on PGlite, whose one connection Prisma owns.
   */
  messageWrites: PlainSql | null;
  kind: "postgres" | "embedded";
  /** The embedded database's PGlite itself: pg-boss (webhook retries) runs its scripts on it. */
  pglite?: PGlite;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class DataDirLocked extends Error {}

const rowsOf = (pool: pg.Pool): PlainSql => ({ query: async <T>(text: string, params: unknown[]) => (await pool.query(text, params)).rows as T[] });

/** Applies pending migrations, then opens Prisma on PostgreSQL (DATABASE_URL) or on PGlite in DATA_DIR. */
export async function openDatabase(
  opts: { databaseUrl: string | undefined; dataDir: string; poolSize: number },
  log: Logger,
): Promise<Database> {
  if (opts.databaseUrl) {
    await applyPostgresMigrations(opts.databaseUrl, log);
    // Idle connections stay open: with node-postgres's default (closed after 10 s idle) a bursty
    // load kept opening new ones (seen: most backends under 3 s old, several connects a second),
    // and each new backend costs PostgreSQL a fork, authentication and cold catalog caches.
    const pooled = { connectionString: opts.databaseUrl, idleTimeoutMillis: 0 };
    const prisma = new PrismaClient({ adapter: new PrismaPg({ ...pooled, max: opts.poolSize }) });
    // Small pools of their own: the hottest statements never wait behind Prisma's transactions.
    // The plain pool carries reads and the replies' and mentions' index writes: a quarter of the
    // pool size (5) held replies, mentions and edits at p50 1.4–2.2 s in the mixed benchmark at
    // 1,000 events/s; half (10) at 70–97 ms (docs/performance.md, 2026-12-06).
    const pool = new pg.Pool({ ...pooled, max: Math.max(2, Math.ceil(opts.poolSize / 2)) });
    const writes = new pg.Pool({ ...pooled, max: MESSAGE_WRITES_IN_FLIGHT });
    // An idle connection that PostgreSQL closes (a restart, a terminated backend) is an 'error'
    // event on its pool, which would take the process down if nobody listened; the pool replaces
    // it on the next query.
    for (const p of [pool, writes]) p.on("error", (err) => log.warn({ err }, "an idle PostgreSQL connection was closed"));
    return {
      prisma,
      sql: rowsOf(pool),
      messageWrites: rowsOf(writes),
      kind: "postgres",
      ping: async () => void (await prisma.$queryRaw`SELECT 1`),
      close: async () => {
        await prisma.$disconnect();
        await pool.end();
        await writes.end();
      },
    };
  }
  return openEmbedded(opts.dataDir, log);
}

async function openEmbedded(dataDir: string, log: Logger): Promise<Database> {
  await fs.mkdir(dataDir, { recursive: true });
  // PGlite has no lock between processes: a second process on one directory would corrupt it.
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, {
      lockfilePath: path.join(dataDir, "embedded-db.lock"),
      realpath: false,
      // PGlite's first start (initdb in WASM) blocks the event loop for seconds, and the lock's
      // refresh timer with it: the stale window must outlast that, or the lock reads as abandoned.
      stale: 60_000,
      update: 10_000,
      onCompromised: (err) => log.error({ err }, "embedded database lock lost"),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOCKED") {
      throw new DataDirLocked(
        `another process is using the embedded database in ${dataDir}; stop it, or set DATABASE_URL to share a PostgreSQL server`,
      );
    }
    throw err;
  }
  const db = await PGlite.create(path.join(dataDir, "pg"));
  await applyPgliteMigrations(db, log);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    prisma,
    // Through Prisma here: PGlite is one connection, and a query beside Prisma's could land inside its transaction.
    sql: { query: <T>(text: string, params: unknown[]) => prisma.$queryRawUnsafe<T[]>(text, ...params) },
    messageWrites: null,
    kind: "embedded",
    pglite: db,
    ping: async () => void (await db.query("SELECT 1")),
    close: async () => {
      await prisma.$disconnect();
      await db.close();
      await release().catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ERELEASED") throw err;
      });
    },
  };
}
