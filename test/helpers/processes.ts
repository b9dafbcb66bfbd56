import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
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

/** Runs `src/main.ts` as its own process (for SIGKILL and SIGTERM tests), on real services. */
export async function spawnNode(env: Record<string, string> = {}): Promise<NodeProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "chat-proc-"));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: "0",
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
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
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  child.stderr!.on("data", (d) => logs.push(String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`node did not start:\n${logs.join("")}`)), 20_000);
    lines.on("line", (line) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line);
        if (entry.msg === "listening") {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${entry.port}`);
        }
      } catch {
        // not a log line
      }
    });
    void exited.then((code) => reject(new Error(`node exited (${code}) before listening:\n${logs.join("\n")}`)));
  });
  return { url, child, exited, logs };
}
