// The SDK as it is published: `npm run build` of packages/client (esbuild bundle + declarations),
// run once per test process, for the tests that use the package by its name.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const packageDir = fileURLToPath(new URL("../../packages/client/", import.meta.url));
export const run = promisify(execFile);

let built: Promise<unknown> | undefined;

export function buildPackage(): Promise<unknown> {
  built ??= run("npm", ["run", "build", "--workspace", "@chat-backend/client"], { cwd: repoRoot, timeout: 120_000 });
  return built;
}
