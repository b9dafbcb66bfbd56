// The committed migrations: they match schema.prisma, and the start-time runner applies them
// exactly once on PostgreSQL and on PGlite, and refuses an edited one.

import { randomBytes } from "node:crypto";
import { appendFile, cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PGlite } from "@electric-sql/pglite";
import { expect } from "chai";
import pg from "pg";
import { pino } from "pino";

import { diffMigrationsToSchema } from "../../scripts/migration-engine.js";
import { applyPgliteMigrations, applyPostgresMigrations } from "../../src/store/migrate.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const migrationsDir = path.join(root, "prisma", "migrations");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const adminUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const silent = pino({ level: "silent" });

async function committedMigrationNames(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function urlForDatabase(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe("database migrations", function () {
  this.timeout(20_000);

  let names: string[];
  before(async () => {
    names = await committedMigrationNames();
    expect(names, "prisma/migrations has no migration").to.not.be.empty;
  });

  it("schema.prisma and the committed migrations agree", async () => {
    const sql = await diffMigrationsToSchema({ databaseUrl: adminUrl, migrationsDir, schemaPath });
    expect(
      sql.trim(),
      "schema.prisma changed without a migration: run `npm run db:diff -- <name>` and commit the SQL",
    ).to.equal("");
  });

  describe("on PostgreSQL", () => {
    const database = `mig_test_${randomBytes(6).toString("hex")}`;
    const url = urlForDatabase(database);

    before(() => admin((client) => client.query(`CREATE DATABASE "${database}"`)));
    after(() => admin((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)));

    it("applies each migration exactly once when four nodes start at once", async () => {
      const runs = await Promise.all([1, 2, 3, 4].map(() => applyPostgresMigrations(url, silent)));

      expect(runs.flat().sort()).to.deep.equal(names);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ migration_name: string; finished_at: Date | null }>(
          `SELECT migration_name, finished_at FROM "_prisma_migrations" ORDER BY migration_name`,
        );
        expect(rows.map((row) => row.migration_name)).to.deep.equal(names);
        for (const row of rows) expect(row.finished_at, row.migration_name).to.be.instanceOf(Date);
        // The migrations' tables really exist.
        const tables = await client.query(`SELECT 1 FROM "User" UNION ALL SELECT 1 FROM "Follow"`);
        expect(tables.rowCount).to.equal(0);
      } finally {
        await client.end();
      }

      expect(await applyPostgresMigrations(url, silent)).to.deep.equal([]);
    });
  });

  describe("on PGlite", () => {
    let db: PGlite;
    before(async () => {
      db = await PGlite.create();
    });
    after(() => db.close());

    it("applies every migration, then nothing on a second run", async () => {
      expect(await applyPgliteMigrations(db, silent)).to.deep.equal(names);
      const { rows } = await db.query<{ migration_name: string; finished_at: Date | null }>(
        `SELECT migration_name, finished_at FROM "_prisma_migrations" ORDER BY migration_name`,
      );
      expect(rows.map((row) => row.migration_name)).to.deep.equal(names);
      for (const row of rows) expect(row.finished_at, row.migration_name).to.be.instanceOf(Date);

      expect(await applyPgliteMigrations(db, silent)).to.deep.equal([]);
    });

    it("refuses a migration that was edited after it was applied, naming it", async () => {
      const copy = await mkdtemp(path.join(tmpdir(), "migrations-"));
      try {
        await cp(migrationsDir, copy, { recursive: true });
        const edited = names[0]!;
        await applyPgliteMigrations(db, silent, copy); // already applied above: records match
        await appendFile(path.join(copy, edited, "migration.sql"), "\n-- edited after the fact\n");

        let error: unknown;
        try {
          await applyPgliteMigrations(db, silent, copy);
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(Error);
        expect((error as Error).message).to.include(edited).and.to.include("checksum");
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    });
  });
});
