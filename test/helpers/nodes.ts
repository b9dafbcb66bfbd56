import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino, type DestinationStream } from "pino";
import { loadConfig } from "../../src/config.js";
import { startNode, type RunningNode } from "../../src/node.js";
import { seedEmbeddedDatabase } from "./embedded-db.js";
import { RecordingMail } from "./recording-mail.js";
import { sharedRedisCluster } from "./redis-cluster.js";
import { redisUrl, testDatabase } from "./services.js";

export type Backend = "postgres" | "embedded";

/** With `redis`: one Redis (REDIS_URL), or the test run's local Redis Cluster (REDIS_CLUSTER_NODES, test/helpers/redis-cluster.ts). */
export type RedisTopology = "single" | "cluster";

export interface TestNode extends RunningNode {
  mail: RecordingMail;
  dataDir: string;
}

export interface TestNodeOptions {
  backend?: Backend;
  redis?: boolean;
  /** Which Redis `redis` means (default single). */
  topology?: RedisTopology;
  /** Extra environment, as a user would set it (e.g. rate limits). */
  env?: Record<string, string>;
  /** Reuse a DATA_DIR (restart tests); otherwise a fresh temporary one. */
  dataDir?: string;
  /** Where the node's pino log goes (default stdout); lets a test read what the node logs. */
  logStream?: DestinationStream;
}

const LOG_LEVEL = process.env.TEST_LOG_LEVEL || "silent";

/** Starts one node on a free port against real services; stop() tears it all down. */
export async function startTestNode(opts: TestNodeOptions = {}): Promise<TestNode> {
  const backend = opts.backend ?? "postgres";
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), "chat-test-")));
  const env: Record<string, string> = {
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL,
    // Cheap hashes keep suites fast; production defaults to 10.
    BCRYPT_COST: "4",
    RATE_LIMIT_AUTH_PER_MINUTE: "100000",
    RATE_LIMIT_USER_PER_SECOND: "100000",
    // Every reply and ack is checked against its schema: a drift between code and contract fails the suite.
    CHECK_REPLIES: "true",
    ...(backend === "postgres" ? { DATABASE_URL: await testDatabase() } : {}),
    ...(opts.redis ? (opts.topology === "cluster" ? { REDIS_CLUSTER_NODES: (await sharedRedisCluster()).nodesEnv } : { REDIS_URL: redisUrl }) : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  // A copy of a database migrated once a run (test/helpers/embedded-db.ts), not PGlite's initdb again.
  if (backend === "embedded") await seedEmbeddedDatabase(dataDir);
  const mail = new RecordingMail();
  const log = opts.logStream ? pino({ level: config.logLevel }, opts.logStream) : pino({ level: config.logLevel });
  const node = await startNode(config, log, { mail });
  return {
    ...node,
    mail,
    dataDir,
    stop: async () => {
      await node.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Shared by nodes of one cluster so a token from one is valid on all (as JWT_SECRET is in production). */
export const CLUSTER_JWT_SECRET = "test-secret-shared-by-all-test-nodes-0123456789";

/** Several nodes on one PostgreSQL and one Redis, as behind a load balancer. */
export async function startTestCluster(count: number, opts: TestNodeOptions = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await startTestNode({ redis: true, ...opts, env: { JWT_SECRET: CLUSTER_JWT_SECRET, ...opts.env } }));
  }
  return nodes;
}
