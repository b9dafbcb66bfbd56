// What the processes of one test run (mocha --parallel's workers) make once and share: the migrated
// embedded database, the built SDK package. The first process to ask makes it in a folder named by
// the run; the others wait for the folder's "ready" mark. The maker's exit removes the folder: the
// run's processes end together, once every file is done.
import { rmSync } from "node:fs";
import { access, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { eventually } from "./eventually.js";
import { TEST_RUN } from "./test-run.js";

/** Runs `make(dir)` in one process of this run and resolves, in every process, with `dir` once it is done. */
export async function oncePerRun(name: string, make: (dir: string) => Promise<void>, opts: { within: number }): Promise<string> {
  const dir = path.join(tmpdir(), `${name}-run${TEST_RUN}`);
  const ready = path.join(dir, "ready");
  const made = await mkdir(dir).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
    return false;
  });
  if (made) {
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    await make(dir);
    await writeFile(ready, "");
  } else {
    await eventually(() => access(ready).then(() => true, () => false), { within: opts.within, every: 100, what: `another process of this run making ${dir}` });
  }
  return dir;
}
