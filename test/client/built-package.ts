// The SDK as it is published: `npm run build` of packages/client (esbuild bundle + declarations),
// made once per test run, for the tests that use the package by its name.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { oncePerRun } from "../helpers/once-per-run.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const packageDir = fileURLToPath(new URL("../../packages/client/", import.meta.url));
export const run = promisify(execFile);

const BUILD_TIMEOUT_MS = 120_000;

let built: Promise<unknown> | undefined;

/**
 * Builds the package once per run (oncePerRun). The processes of a parallel run share
 * packages/client/dist, and a build starts by removing it: a second build pulled the declarations
 * from under the other process's tests (a CI run packed a dist without its types).
 */
export function buildPackage(): Promise<unknown> {
  built ??= oncePerRun(
    "chat-sdk-built",
    async () => void (await run("npm", ["run", "build", "--workspace", "@chat-backend/client"], { cwd: repoRoot, timeout: BUILD_TIMEOUT_MS })),
    { within: BUILD_TIMEOUT_MS + 30_000 },
  );
  return built;
}
