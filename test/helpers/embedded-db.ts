// A migrated embedded database made once per test run. PGlite's first start runs initdb in WASM
// (3 to 10 s here, CPU-bound) and then every migration; a copy of the result opens as an existing
// database in about a second. It is made by the node's own code (openDatabase on an empty
// DATA_DIR), so a first start is still the real one, once a run; restarts on a DATA_DIR are
// untouched; and every node still runs its migrations at start, finding none due.
// The worker processes of one run (mocha --parallel) share it (oncePerRun).
import { rmSync } from "node:fs";
import { access, cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pino } from "pino";
import { openDatabase } from "../../src/store/database.js";
import { oncePerRun } from "./once-per-run.js";

// Where the embedded database keeps its files inside DATA_DIR (src/store/database.ts).
const EMBEDDED_DB_DIR = "pg";
// How long a process waits for another to make the template (a loaded machine takes 10 s or more).
const MADE_WITHIN_MS = 120_000;

let template: Promise<string> | undefined;
let dump: Promise<File | Blob> | undefined;

const exists = (p: string) => access(p).then(() => true, () => false);

function embeddedTemplate(): Promise<string> {
  template ??= oncePerRun(
    "chat-embedded-template",
    async (dir) => {
      const db = await openDatabase({ databaseUrl: undefined, dataDir: dir, poolSize: 1 }, pino({ level: "silent" }));
      await db.close();
    },
    { within: MADE_WITHIN_MS },
  ).then((dir) => path.join(dir, EMBEDDED_DB_DIR));
  return template;
}

/** Gives `dataDir` the migrated embedded database unless it has one (a restart keeps its own). */
export async function seedEmbeddedDatabase(dataDir: string): Promise<void> {
  const target = path.join(dataDir, EMBEDDED_DB_DIR);
  if (!(await exists(target))) await cp(await embeddedTemplate(), target, { recursive: true });
}

/** A migrated PGlite in memory, as `new PGlite()` plus the migrations would give, from a dump of the template. */
export async function migratedPglite(): Promise<PGlite> {
  dump ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "chat-embedded-dump-"));
    try {
      await seedEmbeddedDatabase(dir);
      const db = await PGlite.create(path.join(dir, EMBEDDED_DB_DIR));
      const tarball = await db.dumpDataDir("none");
      await db.close();
      return tarball;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return PGlite.create({ loadDataDir: await dump });
}
