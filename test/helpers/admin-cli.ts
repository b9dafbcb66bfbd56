// `npm run admin` as an operator runs it (scripts/admin.ts), as a child process against the test
// database: how suites make an operator, since no route can.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { testDatabase } from "./services.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tsx scripts/admin.ts ...args` with the test database's DATABASE_URL; resolves with how it exited. */
export async function runAdminCli(...args: string[]): Promise<CliResult> {
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", DATABASE_URL: await testDatabase() };
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "scripts/admin.ts", ...args], { cwd: root, env, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Grants the operator flag to this email, or fails the calling hook with what the command said. */
export async function grantOperator(email: string): Promise<void> {
  const r = await runAdminCli("grant", email);
  if (r.code !== 0) throw new Error(`npm run admin -- grant ${email}: exit ${r.code}: ${r.stderr || r.stdout}`);
}
