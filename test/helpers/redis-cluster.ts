// A real Redis Cluster on this machine for the suites and the load runner: 3 masters and 3
// replicas (Debian's redis-server and redis-cli), each on a free port of 127.0.0.1 whose bus port
// (port + 10000) is free too, with data, configs and logs in one temporary directory. A master can
// be killed (SIGKILL) and its replica's promotion awaited, as a failover test needs.
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Cluster, Redis } from "ioredis";
import { eventually } from "./eventually.js";
import { redisUrl } from "./services.js";

export interface RedisClusterNode {
  port: number;
  child: ChildProcess;
  /** Resolves once the process is gone. */
  exited: Promise<void>;
}

export interface LocalRedisCluster {
  /** "127.0.0.1:port" of every node started: what REDIS_CLUSTER_NODES takes. */
  seeds: string[];
  /** The seeds as REDIS_CLUSTER_NODES spells them. */
  nodesEnv: string;
  nodes: RedisClusterNode[];
  /** A plain connection to one node (closed by stop()). */
  client(port: number): Redis;
  /** The port of the master serving `name`'s slot (a key or a sharded channel), as the cluster says now. */
  masterOf(name: string): Promise<number>;
  /** The ports of the masters serving slots now. */
  masters(): Promise<number[]>;
  /** Sharded channels matching `pattern` that have a subscriber, on every live master (PUBSUB SHARDCHANNELS). */
  shardChannels(pattern?: string): Promise<string[]>;
  /** Subscribers of a sharded channel, on the master that serves it (PUBSUB SHARDNUMSUB): one per subscribing app node. */
  shardSubscribers(channel: string): Promise<number>;
  /** SIGKILLs the master on `port` and resolves once a replica has taken over its slots and the cluster is ok again. */
  killMaster(port: number): Promise<{ promotedPort: number; tookMs: number }>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** How long a master may be silent before it is failed over (cluster-node-timeout; default 1 s so tests see failovers in seconds). */
  nodeTimeoutMs?: number;
  /** How long the whole start may take (default 30 s). */
  startTimeoutMs?: number;
}

const MASTERS = 3;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A port in 20000..55000 that is free, and whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 35_000);
    if (taken.has(port) || taken.has(port + 10_000) || taken.has(port - 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error("no free port pair for a Redis Cluster node");
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (out += String(d)));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${out.slice(-2000)}`))));
  });
}

/** CLUSTER SHARDS' masters: for each, its port, health and slot ranges. */
async function shards(client: Redis): Promise<{ port: number; healthy: boolean; ranges: [number, number][] }[]> {
  const reply = (await client.call("CLUSTER", "SHARDS")) as unknown[];
  const out: { port: number; healthy: boolean; ranges: [number, number][] }[] = [];
  for (const shard of reply) {
    const s = toMap(shard as unknown[]);
    const slots = (s.get("slots") as (number | string)[]).map(Number);
    const ranges: [number, number][] = [];
    for (let i = 0; i + 1 < slots.length; i += 2) ranges.push([slots[i]!, slots[i + 1]!]);
    for (const node of s.get("nodes") as unknown[][]) {
      const n = toMap(node);
      if (n.get("role") === "master" && ranges.length) out.push({ port: Number(n.get("port")), healthy: n.get("health") === "online", ranges });
    }
  }
  return out;
}

const toMap = (flat: unknown[]) => {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(String(flat[i]), flat[i + 1]);
  return m;
};

const clusterOk = async (client: Redis) => /cluster_state:ok/.test(await client.call("CLUSTER", "INFO").then(String));

/** Starts 3 masters and 3 replicas and resolves once every node says cluster_state:ok and every replica is in sync. */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<LocalRedisCluster> {
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  const dir = await mkdtemp(path.join(tmpdir(), "chat-redis-cluster-"));
  const taken = new Set<number>();
  const nodes: RedisClusterNode[] = [];
  const clients = new Map<number, Redis>();
  const client = (port: number) => {
    let c = clients.get(port);
    if (!c) {
      // One attempt per command: a killed node must fail fast, not queue.
      c = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 0, retryStrategy: () => 200, lazyConnect: false, enableOfflineQueue: true });
      c.on("error", () => {});
      clients.set(port, c);
    }
    return c;
  };
  const stop = async () => {
    for (const c of clients.values()) c.disconnect();
    clients.clear();
    for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill("SIGKILL");
    await Promise.all(nodes.map((n) => n.exited));
    unregister(stop);
    await rm(dir, { recursive: true, force: true });
  };
  register(stop, { nodes, dir });
  try {
    for (let i = 0; i < 2 * MASTERS; i++) {
      const port = await freeClusterPort(taken);
      const child = spawn(
        "redis-server",
        [
          "--port", String(port),
          "--bind", "127.0.0.1",
          "--cluster-enabled", "yes",
          "--cluster-config-file", path.join(dir, `nodes-${port}.conf`),
          "--cluster-node-timeout", String(opts.nodeTimeoutMs ?? 1_000),
          // The shards that are up keep serving while one is failed over (docs/scaling.md).
          "--cluster-require-full-coverage", "no",
          "--save", "",
          "--appendonly", "no",
          "--dir", dir,
          "--logfile", path.join(dir, `redis-${port}.log`),
          "--daemonize", "no",
        ],
        { stdio: "ignore" },
      );
      nodes.push({ port, child, exited: new Promise((resolve) => child.once("exit", () => resolve())) });
    }
    const deadline = Date.now() + startTimeoutMs;
    const left = () => Math.max(1_000, deadline - Date.now());
    await eventually(async () => Promise.all(nodes.map((n) => client(n.port).ping())), { within: left(), every: 50, what: "every Redis node answering PING" });
    await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"]);
    await eventually(
      async () => {
        for (const n of nodes) if (!(await clusterOk(client(n.port)))) return false;
        for (const n of nodes) {
          const info = String(await client(n.port).info("replication"));
          if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
        }
        return (await shards(client(nodes[0]!.port))).length === MASTERS;
      },
      { within: left(), every: 100, what: "cluster_state:ok on every node, replicas in sync" },
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const live = () => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  const someLive = () => client(live()[0]!.port);
  const masterOf = async (name: string) => {
    const slot = Number(await someLive().call("CLUSTER", "KEYSLOT", name));
    const owner = (await shards(someLive())).find((s) => s.ranges.some(([a, b]) => slot >= a && slot <= b));
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner.port;
  };
  const masters = async () => (await shards(someLive())).filter((s) => s.healthy).map((s) => s.port);
  const seeds = nodes.map((n) => `127.0.0.1:${n.port}`);

  return {
    seeds,
    nodesEnv: seeds.join(","),
    nodes,
    client,
    masterOf,
    masters,
    shardChannels: async (pattern = "*") => {
      const lists = await Promise.all((await masters()).map((port) => client(port).call("PUBSUB", "SHARDCHANNELS", pattern) as Promise<string[]>));
      return lists.flat().sort();
    },
    shardSubscribers: async (channel) => {
      const reply = (await client(await masterOf(channel)).call("PUBSUB", "SHARDNUMSUB", channel)) as [string, number];
      return Number(reply[1]);
    },
    killMaster: async (port) => {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no cluster node on ${port}`);
      const before = await shards(client(port));
      const mine = before.find((s) => s.port === port);
      if (!mine) throw new Error(`${port} is not a master`);
      const slot = mine.ranges[0]![0];
      const started = Date.now();
      node.child.kill("SIGKILL");
      await node.exited;
      clients.get(port)?.disconnect();
      clients.delete(port);
      const promotedPort = await eventually(
        async () => {
          const now = await shards(someLive());
          const owner = now.find((s) => s.ranges.some(([a, b]) => slot >= a && slot <= b));
          if (!owner || owner.port === port || !owner.healthy) return false;
          for (const n of live()) if (!(await clusterOk(client(n.port)))) return false;
          return owner.port;
        },
        { within: 30_000, every: 50, what: `a replica of ${port} promoted, cluster_state:ok` },
      );
      return { promotedPort, tookMs: Date.now() - started };
    },
    stop,
  };
}

// Every cluster started by this process is killed when it exits, whatever the runner does
// (mocha's --exit ends the process without waiting for after hooks of lazily shared resources).
const running = new Map<() => Promise<void>, { nodes: RedisClusterNode[]; dir: string }>();
const register = (stop: () => Promise<void>, what: { nodes: RedisClusterNode[]; dir: string }) => running.set(stop, what);
const unregister = (stop: () => Promise<void>) => running.delete(stop);
process.once("exit", () => {
  for (const { nodes, dir } of running.values()) {
    for (const n of nodes) n.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});

let shared: Promise<LocalRedisCluster> | undefined;

/**
 * One cluster for every suite of this test run that asks for the cluster topology (started on
 * first use, stopped when the process exits): suites create their own users and rooms, as they
 * share the one Redis of the single topology. A suite that kills a master starts its own.
 */
export function sharedRedisCluster(): Promise<LocalRedisCluster> {
  shared ??= startRedisCluster();
  return shared;
}

/** A client for a suite that reads Redis itself: one Redis, or the shared cluster (close it after). */
export async function testRedisClient(topology: "single" | "cluster"): Promise<Redis | Cluster> {
  if (topology === "single") return new Redis(redisUrl);
  const seeds = (await sharedRedisCluster()).seeds.map((s) => ({ host: "127.0.0.1", port: Number(s.split(":")[1]) }));
  return new Cluster(seeds);
}
