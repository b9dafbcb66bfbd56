import { Cluster, Redis } from "ioredis";
import type { Logger } from "../logger.js";

/*
 * The node's Redis connections, in either of two modes (docs/scaling.md):
 *
 *   single   REDIS_URL: one Redis; classic pub/sub (every node receives every broadcast).
 *   cluster  REDIS_CLUSTER_NODES: a Redis Cluster; sharded pub/sub (SSUBSCRIBE/SPUBLISH, Redis 7),
 *            so a node receives the broadcasts of the rooms it has sockets in, and each channel
 *            lives on the shard its name hashes to.
 *
 * Both are ioredis clients with one command API (ioredis' Cluster has carried sharded pub/sub since
 * 5.9): the stores take either. Multi-key scripts keep their keys in one slot with hash tags in
 * cluster mode (redis-key-buckets.ts).
 */

export type RedisMode = "single" | "cluster";

/** A connection of either mode. */
export type RedisClient = Redis | Cluster;

/** What /readyz names in cluster mode: the masters serving slots that answered a PING, and those that did not. */
export interface RedisMasters {
  reached: string[];
  unreachable: string[];
}

export interface RedisConnections {
  readonly mode: RedisMode;
  /**
   * A new connection for one role (named `chat-<role>` in CLIENT LIST). `subscriber`: it will
   * SSUBSCRIBE (cluster mode opens one subscriber connection per master for it).
   */
  open(role: string, opts?: { subscriber?: boolean }): RedisClient;
  /** Cluster mode: PINGs every master the client knows serves slots now, each bounded by `timeoutMs`. */
  masters(client: RedisClient, timeoutMs: number): Promise<RedisMasters>;
}

// Commands queue while Redis restarts (or a shard fails over) and go out when it is back; nothing
// durable lives there. Auto-pipelining: commands issued in one tick (broadcasts, presence, rate
// limits) share a write.
const COMMON = { maxRetriesPerRequest: null, enableOfflineQueue: true } as const;

function singleConnections(url: string, log: Logger): RedisConnections {
  return {
    mode: "single",
    open(role) {
      const client = new Redis(url, { ...COMMON, enableAutoPipelining: true, connectionName: `chat-${role}` });
      client.on("error", (err) => log.warn({ role, err: err.message }, "redis error"));
      return client;
    },
    masters: async () => ({ reached: [], unreachable: [] }),
  };
}

/** `host:port` seeds, as config.ts checked them. */
function seedsOf(nodes: readonly string[]) {
  return nodes.map((s) => {
    const at = s.lastIndexOf(":");
    return { host: s.slice(0, at), port: Number(s.slice(at + 1)) };
  });
}

const CLUSTER_SLOTS = 16_384;
/** What the client's slot map says: the masters it names ("host:port", as it keys them) and how many slots have one. */
function slotMap(client: Cluster): { owners: Set<string>; covered: number } {
  const owners = new Set<string>();
  let covered = 0;
  for (const nodes of client.slots) {
    if (!nodes?.[0]) continue;
    owners.add(nodes[0]);
    covered++;
  }
  return { owners, covered };
}

// A shard's master that stops answering is failed over by the cluster (cluster-node-timeout, then
// a replica's election); meanwhile its commands are retried against the refreshed slot map every
// 100 ms up to 16 times (ioredis' defaults), then fail: a broadcast to that shard is lost, as the
// issue allows (clients resync), and nothing waits behind it for longer. A client learns the new
// topology from a MOVED, a lost connection (the sharded subscribers: from their own), or /readyz's
// probe; no periodic refresh, which would open a connection per client every period.
function clusterConnections(nodes: readonly string[], log: Logger): RedisConnections {
  const seeds = seedsOf(nodes);
  return {
    mode: "cluster",
    open(role, opts = {}) {
      const client = new Cluster(seeds, {
        redisOptions: { ...COMMON, connectionName: `chat-${role}` },
        enableOfflineQueue: true,
        enableAutoPipelining: true,
        // Auto-pipelines are grouped by a command's first key, which ioredis takes to be the first
        // argument of a script without a fixed key count: for the presence status read that is the
        // key count itself, so its calls would join other shards' pipelines and be refused.
        autoPipeliningIgnoredCommands: ["presenceStatus"],
        shardedSubscribers: opts.subscriber === true,
        // Never give up on the cluster as a whole: it comes back, and so must the node.
        clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
      });
      client.on("error", (err) => log.warn({ role, err: err.message }, "redis cluster error"));
      client.on("node error", (err: Error, node: string) => log.warn({ role, node, err: err.message }, "redis cluster node error"));
      return client;
    },
    masters: async (client, timeoutMs) => {
      const out: RedisMasters = { reached: [], unreachable: [] };
      if (!(client instanceof Cluster)) return out;
      const masters = client.nodes("master");
      const results = await Promise.all(
        masters.map((node) =>
          Promise.race([node.ping().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref())]).catch(() => false),
        ),
      );
      masters.forEach((node, i) => out[results[i] ? "reached" : "unreachable"].push(`${node.options.host}:${node.options.port}`));
      // A slot owner the client holds no connection to is unreachable too: ioredis drops a node
      // whose connection ended (a master killed) from its masters, while the slot map still
      // names it until the next ask; it was then neither pinged nor a reason to ask again, and
      // the promoted replica stayed unknown (a CI run: /readyz named 2 masters for 25 s).
      const connected = new Set(masters.map((node) => `${node.options.host}:${node.options.port}`));
      const { owners, covered } = slotMap(client);
      for (const owner of owners) if (!connected.has(owner)) out.unreachable.push(owner);
      // A master that does not answer may have been replaced: ask the cluster now (there is no
      // periodic refresh). So may one that is no longer in the map: an ask made while its shard was
      // failing over can answer without that shard's slots, and then no master is unreachable
      // to prompt the next ask, and the promoted replica would stay unknown until a MOVED.
      if (out.unreachable.length || covered < CLUSTER_SLOTS) client.refreshSlotsCache();
      out.reached.sort();
      out.unreachable.sort();
      return out;
    },
  };
}

/** The connections of the configured mode; undefined without Redis (one node, in process). */
export function openRedisConnections(config: { redisUrl?: string | undefined; redisClusterNodes?: readonly string[] | undefined }, log: Logger): RedisConnections | undefined {
  if (config.redisClusterNodes?.length) return clusterConnections(config.redisClusterNodes, log);
  if (config.redisUrl) return singleConnections(config.redisUrl, log);
  return undefined;
}
