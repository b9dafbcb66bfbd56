import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { CLUSTER_JWT_SECRET } from "./nodes.js";
import { redisUrl, testDatabase } from "./services.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

export interface NodeProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string>;
  logs: string[];
}

export interface SpawnOptions {
  /** How long the process may take to log "listening" (default 20 s); it compiles its TypeScript as it starts. */
  startTimeoutMs?: number;
  /** Called with the child as soon as it is spawned, before it listens (to kill one still starting). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Runs `src/main.ts` as its own process (for SIGKILL and SIGTERM tests), on real services: on a
 * free port and a temporary DATA_DIR of its own (removed once the process is gone) unless `env`
 * names them. Its TMPDIR is its own too, and goes with it: a process killed mid-transcode leaves
 * its working folder there (the next start sweeps only folders older than two job timeouts). A process that does not come up in time, or exits first, is killed and waited for
 * before the promise rejects: never left behind.
 */
export async function spawnNode(env: Record<string, string> = {}, opts: SpawnOptions = {}): Promise<NodeProcess> {
  const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
  const ownDir = env.DATA_DIR ? undefined : await mkdtemp(path.join(tmpdir(), "chat-proc-"));
  const ownTmp = await mkdtemp(path.join(tmpdir(), "chat-proc-tmp-"));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: "0",
      HOST: "127.0.0.1",
      ...(ownDir ? { DATA_DIR: ownDir } : {}),
      TMPDIR: ownTmp,
      LOG_LEVEL: "info",
      BCRYPT_COST: "4",
      RATE_LIMIT_AUTH_PER_MINUTE: "100000",
      RATE_LIMIT_USER_PER_SECOND: "100000",
      DATABASE_URL: await testDatabase(),
      REDIS_URL: redisUrl,
      JWT_SECRET: CLUSTER_JWT_SECRET,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  opts.onSpawn?.(child);
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  // An ffmpeg the process left running may still be writing there: retried, and never a failure.
  void exited.then(() => Promise.all([ownDir, ownTmp].map((dir) => dir && rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {}))));
  child.stderr!.on("data", (d) => logs.push(String(d)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node did not start within ${startTimeoutMs} ms:\n${logs.join("\n")}`)), startTimeoutMs);
      createInterface({ input: child.stdout! }).on("line", (line) => {
        logs.push(line);
        if (!line.includes('"msg":"listening"')) return;
        try {
          const { port } = JSON.parse(line);
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${port}`);
        } catch {
          // not a log line
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`node exited (${code}) before listening:\n${logs.join("\n")}`));
      });
    });
    return { url, child, exited, logs };
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    throw err;
  }
}
