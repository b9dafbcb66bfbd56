import fs from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import lockfile from "proper-lockfile";
import type { Logger } from "../logger.js";
import { PrismaClient } from "./generated/prisma/client.js";
import { applyPgliteMigrations, applyPostgresMigrations } from "./migrate.js";

export type Prisma = InstanceType<typeof PrismaClient>;

export interface Database {
  prisma: Prisma;
  kind: "postgres" | "embedded";
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class DataDirLocked extends Error {}

/** Applies pending migrations, then opens Prisma on PostgreSQL (DATABASE_URL) or on PGlite in DATA_DIR. */
export async function openDatabase(
  opts: { databaseUrl: string | undefined; dataDir: string; poolSize: number },
  log: Logger,
): Promise<Database> {
  if (opts.databaseUrl) {
    await applyPostgresMigrations(opts.databaseUrl, log);
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: opts.databaseUrl, max: opts.poolSize }) });
    return {
      prisma,
      kind: "postgres",
      ping: async () => void (await prisma.$queryRaw`SELECT 1`),
      close: () => prisma.$disconnect(),
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
    kind: "embedded",
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
