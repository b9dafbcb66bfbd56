// Applies the committed SQL migrations (prisma/migrations/*/migration.sql) at start.
// `prisma migrate deploy` cannot run here (it needs the native schema engine, see
// ENVIRONMENT.md), so this is a small stand-in that keeps Prisma's bookkeeping: the same
// `_prisma_migrations` table, checksums and advisory lock key, so the real CLI can take over
// a database this runner has migrated, and the other way round.
// New migrations are written by `npm run db:diff -- <name>` (scripts/db-diff.ts).

import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { PGlite, Transaction } from "@electric-sql/pglite";
import pg from "pg";
import type { Logger } from "pino";

// This file is src/store/migrate.ts under tsx and dist/store/migrate.js after tsc: either way
// the package root, and so prisma/migrations, is two levels up.
const defaultMigrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/**
 * The key Prisma's own `migrate deploy` locks. Sharing it means our runner, other instances of it
 * and the Prisma CLI all wait for each other instead of applying a migration twice.
 */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;

// Prisma's exact table, so the Prisma CLI reads our history as its own.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

/** The little the runner needs from a connection, implemented for pg and for PGlite below. */
interface MigrationDb {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Runs a multi-statement script (no parameters). */
  exec(sql: string): Promise<void>;
  transaction<T>(work: (tx: Omit<MigrationDb, "transaction">) => Promise<T>): Promise<T>;
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** Applies pending migrations over a connection of its own; returns the names it applied. */
export async function applyPostgresMigrations(
  connectionString: string,
  log: Logger,
  dir = defaultMigrationsDir,
): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await applyMigrations(pgDb(client), log, dir);
  } finally {
    await client.end();
  }
}

/** Applies pending migrations to an embedded PGlite database; returns the names it applied. */
export function applyPgliteMigrations(db: PGlite, log: Logger, dir = defaultMigrationsDir): Promise<string[]> {
  return applyMigrations(pgliteDb(db), log, dir);
}

async function applyMigrations(db: MigrationDb, log: Logger, dir: string): Promise<string[]> {
  const migrations = await readMigrations(dir);
  // Under the lock too: two starters racing on CREATE TABLE IF NOT EXISTS can both try to create it.
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
    await tx.exec(CREATE_MIGRATIONS_TABLE);
  });

  const applied: string[] = [];
  for (const migration of migrations) {
    // One transaction per migration: it applies completely or not at all, and the lock makes
    // concurrent starters queue here, then find it recorded and skip it. (Unlike `prisma migrate
    // deploy`, which runs scripts outside a transaction, a migration therefore cannot use
    // statements that refuse to run in one, such as CREATE INDEX CONCURRENTLY.)
    const didApply = await db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
      const { rows } = await tx.query(
        `SELECT checksum, finished_at FROM "_prisma_migrations"
         WHERE migration_name = $1 AND rolled_back_at IS NULL`,
        [migration.name],
      );
      if (rows.some((row) => row.finished_at === null)) {
        // Only the Prisma CLI leaves such rows; it needs a human (`prisma migrate resolve`).
        throw new Error(`Migration ${migration.name} is recorded as failed in _prisma_migrations; resolve it by hand.`);
      }
      const done = rows[0];
      if (done) {
        if (done.checksum !== migration.checksum) {
          throw new Error(
            `Migration ${migration.name} was edited after it was applied (checksum mismatch). ` +
              `Restore the committed migration.sql and put the change in a new migration (npm run db:diff -- <name>).`,
          );
        }
        return false;
      }
      const started = Date.now();
      await tx.exec(migration.sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      log.info({ migration: migration.name, ms: Date.now() - started }, "applied database migration");
      return true;
    });
    if (didApply) applied.push(migration.name);
  }
  return applied;
}

/** Every `<dir>/<name>/migration.sql`, in name order (the names start with a UTC timestamp). */
async function readMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    throw new Error(`Cannot read the migrations directory ${dir}: ${String(error)}`);
  });
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const file = path.join(dir, name, "migration.sql");
    const bytes = await readFile(file).catch(() => undefined);
    if (bytes === undefined) continue; // not a migration directory
    // Prisma's checksum: sha256 of the file's bytes, hex.
    migrations.push({ name, sql: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") });
  }
  return migrations;
}

function pgDb(client: pg.Client): MigrationDb {
  const queryable = {
    query: (sql: string, params?: unknown[]) => client.query(sql, params),
    // Without parameters pg uses the simple query protocol, which accepts several statements.
    exec: async (sql: string) => {
      await client.query(sql);
    },
  };
  return {
    ...queryable,
    async transaction(work) {
      await client.query("BEGIN");
      try {
        const result = await work(queryable);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        // If the connection itself broke, ROLLBACK fails too; report the error that caused it.
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    },
  };
}

function pgliteDb(db: PGlite): MigrationDb {
  const wrap = (q: PGlite | Transaction) => ({
    query: async (sql: string, params?: unknown[]) => q.query<Record<string, unknown>>(sql, params),
    exec: async (sql: string) => {
      await q.exec(sql);
    },
  });
  return {
    ...wrap(db),
    // PGlite's own transaction() queues behind other users of the same instance.
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
  };
}
