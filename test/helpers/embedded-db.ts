// A migrated embedded database made once per test run. PGlite's first start runs initdb in WASM
// (3 to 10 s here, CPU-bound) and then every migration; a copy of the result opens as an existing
// database in about a second. It is made by the node's own code (openDatabase on an empty
// DATA_DIR), so a first start is still the real one, once a run; restarts on a DATA_DIR are
// untouched; and every node still runs its migrations at start, finding none due.
// The worker processes of one run (mocha --parallel) share it: the first to need it makes it in a
// folder named by the run, and the others wait for its "ready" mark.
import { rmSync } from "node:fs";
import { access, cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pino } from "pino";
import { openDatabase } from "../../src/store/database.js";
import { eventually } from "./eventually.js";
import { TEST_RUN } from "./test-run.js";

// Where the embedded database keeps its files inside DATA_DIR (src/store/database.ts).
const EMBEDDED_DB_DIR = "pg";
// How long a process waits for another to make the template (a loaded machine takes 10 s or more).
const MADE_WITHIN_MS = 120_000;

let template: Promise<string> | undefined;
let dump: Promise<File | Blob> | undefined;

const exists = (p: string) => access(p).then(() => true, () => false);

function embeddedTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = path.join(tmpdir(), `chat-embedded-template-run${TEST_RUN}`);
    const ready = path.join(dir, "ready");
    const made = await mkdir(dir).then(() => true, (err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
      return false;
    });
    if (made) {
      // The maker's exit ends the run's use of it: workers exit together, once every file is done.
      process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
      const db = await openDatabase({ databaseUrl: undefined, dataDir: dir, poolSize: 1 }, pino({ level: "silent" }));
      await db.close();
      await writeFile(ready, "");
    } else {
      await eventually(() => exists(ready).then((yes) => yes || false), { within: MADE_WITHIN_MS, every: 100, what: `another process of this run making ${dir}` });
    }
    return path.join(dir, EMBEDDED_DB_DIR);
  })();
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
