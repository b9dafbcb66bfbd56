// `npm run db:diff -- <name>`: write the migration that takes the committed migrations to
// prisma/schema.prisma, as prisma/migrations/<UTC yyyymmddHHMMSS>_<name>/migration.sql.
// Replaces `prisma migrate dev --create-only`, which cannot run offline (see ENVIRONMENT.md).
// DATABASE_URL (default: local postgres) is only used to create a throwaway shadow database.

import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { diffMigrationsToSchema, MIGRATION_LOCK_TOML } from "./migration-engine.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const migrationsDir = path.join(root, "prisma", "migrations");
const schemaPath = path.join(root, "prisma", "schema.prisma");
const databaseUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const NAME_PATTERN = /^[a-z0-9]+(_[a-z0-9]+)*$/;

function utcTimestamp(date: Date): string {
  // 2026-11-23T15:38:02.123Z -> 20261123153802, the format Prisma uses for migration directories.
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

async function main(): Promise<number> {
  const name = process.argv[2];
  if (process.argv.length !== 3 || !name || !NAME_PATTERN.test(name)) {
    console.error("usage: npm run db:diff -- <name>   (snake_case: lowercase letters, digits, single underscores)");
    return 2;
  }

  const sql = await diffMigrationsToSchema({ databaseUrl, migrationsDir, schemaPath });
  if (sql.trim() === "") {
    console.log("No difference detected: prisma/schema.prisma matches the committed migrations.");
    return 0;
  }

  const dirName = `${utcTimestamp(new Date())}_${name}`;
  const dir = path.join(migrationsDir, dirName);
  if (existsSync(dir)) {
    console.error(`${path.relative(root, dir)} already exists; wait a second and retry.`);
    return 1;
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), sql.endsWith("\n") ? sql : `${sql}\n`);
  const lockPath = path.join(migrationsDir, "migration_lock.toml");
  if (!existsSync(lockPath)) await writeFile(lockPath, MIGRATION_LOCK_TOML);

  console.log(`Wrote ${path.relative(root, path.join(dir, "migration.sql"))}. Review it, then commit it with the schema change.`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
