// The SDK as it is published: `npm run build` of packages/client (esbuild bundle + declarations),
// made once per test run, for the tests that use the package by its name.
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { access, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import lockfile from "proper-lockfile";
import { TEST_RUN } from "../helpers/test-run.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const packageDir = fileURLToPath(new URL("../../packages/client/", import.meta.url));
export const run = promisify(execFile);

// A build longer than this is taken for a process that died holding the lock.
const BUILD_STALE_MS = 150_000;

let built: Promise<unknown> | undefined;

/**
 * Builds the package unless a process of this run has. The processes of a parallel run share
 * packages/client/dist, and a build starts by removing it: a second build pulled the declarations
 * from under the other process's tests (a CI run packed a dist without its types). So the first
 * process to ask builds, under a lock, and leaves a mark named by the run; the others wait for the
 * lock and find the mark.
 */
export function buildPackage(): Promise<unknown> {
  built ??= (async () => {
    const mark = path.join(tmpdir(), `chat-sdk-built-run${TEST_RUN}`);
    const release = await lockfile.lock(tmpdir(), {
      lockfilePath: `${mark}.lock`,
      realpath: false,
      stale: BUILD_STALE_MS,
      update: 10_000,
      retries: { retries: Math.ceil(BUILD_STALE_MS / 100), minTimeout: 100, maxTimeout: 100 },
    });
    try {
      if (await access(mark).then(() => true, () => false)) return;
      await run("npm", ["run", "build", "--workspace", "@chat-backend/client"], { cwd: repoRoot, timeout: 120_000 });
      await writeFile(mark, "");
      // The run's processes end together, once every file is done (as for the embedded database).
      process.once("exit", () => rmSync(mark, { force: true }));
    } finally {
      await release();
    }
  })();
  return built;
}
