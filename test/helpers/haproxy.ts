import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { serverStates, type ServerState } from "../../scripts/deploy-rolling.js";
import { eventually } from "./eventually.js";

/** The file production runs (docker-compose.yml mounts it): the tests run it too, unchanged. */
export const HAPROXY_CFG = fileURLToPath(new URL("../../deploy/haproxy.cfg", import.meta.url));

/** `haproxy -v`'s first line, or undefined when no haproxy is on the PATH. */
export function haproxyVersion(): string | undefined {
  const res = spawnSync("haproxy", ["-v"], { encoding: "utf8" });
  return res.status === 0 ? res.stdout.split("\n")[0] : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.once("error", reject);
  });
}

export interface Haproxy {
  /** The chat frontend: what clients connect to. */
  url: string;
  /** The read-only stats page (CSV at `${statsUrl};csv`). */
  statsUrl: string;
  child: ChildProcess;
  /** What HAProxy printed (alerts, servers going UP and DOWN). */
  logs: string[];
  servers(): Promise<ServerState[]>;
  stop(): Promise<void>;
}

/**
 * Starts HAProxy from deploy/haproxy.cfg in front of `nodes` (host:port of app1, app2), on free
 * ports of 127.0.0.1, and resolves once every server is UP. Only the environment differs from
 * production: the CHAT_LB_* / CHAT_NODE* variables the file reads.
 */
export async function startHaproxy(nodes: [string, string], opts: { maxconn?: number } = {}): Promise<Haproxy> {
  const [port, statsPort] = [await freePort(), await freePort()];
  const env = {
    PATH: process.env.PATH ?? "",
    CHAT_LB_BIND: `127.0.0.1:${port}`,
    CHAT_LB_STATS: `127.0.0.1:${statsPort}`,
    CHAT_LB_MAXCONN: String(opts.maxconn ?? 2_000),
    CHAT_NODE1: nodes[0],
    CHAT_NODE2: nodes[1],
  };
  const check = spawnSync("haproxy", ["-c", "-q", "-f", HAPROXY_CFG], { env, encoding: "utf8" });
  if (check.status !== 0) throw new Error(`haproxy -c rejected ${HAPROXY_CFG}:\n${check.stderr}${check.stdout}`);
  // -db: stay in the foreground (no daemon), so the test owns the process and its output.
  const child = spawn("haproxy", ["-db", "-f", HAPROXY_CFG], { env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (d) => logs.push(...String(d).split("\n").filter(Boolean)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  const lb: Haproxy = {
    url: `http://127.0.0.1:${port}`,
    statsUrl,
    child,
    logs,
    servers: () => serverStates(statsUrl),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}):\n${logs.join("\n")}`);
        const states = await lb.servers();
        return states.length === 2 && states.every((s) => s.status === "UP");
      },
      { within: 15_000, every: 50, what: `HAProxy up with both servers UP (${logs.slice(-3).join(" | ")})` },
    );
  } catch (err) {
    await lb.stop();
    throw err;
  }
  return lb;
}
