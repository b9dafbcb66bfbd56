// The setup of a suite that runs real nodes, written once: mocha hooks that start the nodes
// before the suite's tests and stop them after it, a client per node, and the sockets each test
// opens closed after that test. Call these inside a describe(), before the suite's own hooks.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Api, type TestUser } from "./api.js";
import { startTestCluster, startTestNode, type RedisTopology, type TestNode, type TestNodeOptions } from "./nodes.js";
import { connectSocket, type ClientSocket } from "./sockets.js";

/** `[T, T, ...]` of length N when N is a literal (so `nodes[1]` needs no `!`), else `T[]`. */
export type Tuple<T, N extends number, R extends T[] = []> = number extends N ? T[] : R["length"] extends N ? R : Tuple<T, N, [...R, T]>;

type Transport = "websocket" | "polling";

export interface SuiteSockets {
  /** A socket of `user` on `node` (WebSocket unless `transports` says otherwise), closed after the current test. */
  connect(node: { url: string }, user: Pick<TestUser, "accessToken">, transports?: Transport[]): Promise<ClientSocket>;
  /** Closes `socket` after the current test; returns it. */
  track<S extends { close(): unknown }>(socket: S): S;
}

/** Registers an afterEach hook that closes every socket the test connected or tracked. */
export function useSockets(): SuiteSockets {
  const open: { close(): unknown }[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  const track = <S extends { close(): unknown }>(socket: S): S => {
    open.push(socket);
    return socket;
  };
  return {
    track,
    connect: async (node, user, transports) => track(await connectSocket(node.url, user.accessToken, { transports })),
  };
}

export interface NodesOptions {
  /** The before hook's timeout at the least (default 30 s: an embedded start creates a PGlite cluster). */
  startTimeoutMs?: number;
  /** One temporary DATA_DIR for every node, as in production (media files), removed after they stop. */
  sharedDataDir?: boolean;
}

export interface NodesSuite<N extends number> extends SuiteSockets {
  /**
   * The nodes, in start order. These objects exist at once and are filled in by the before hook,
   * so a suite can name them where it is declared (`const { nodes: [a, b] } = useCluster(2)`)
   * and use them in its hooks and tests.
   */
  nodes: Tuple<TestNode, N>;
  /** A client per node, in the same order, usable the same way (it reads its node's URL at each request). */
  apis: Tuple<Api, N>;
}

/** A node's options, or a function computing them as the suite starts (`await mediaEnv(...)`). */
export type NodeOptionsOf = TestNodeOptions | (() => Promise<TestNodeOptions>);

const START_TIMEOUT_MS = 30_000;

/**
 * The nodes `start` returns (`count` of them, given the shared DATA_DIR if asked for), started
 * before the suite and stopped after it.
 */
export function useNodes<N extends number>(count: N, start: (dataDir?: string) => Promise<TestNode[]>, opts: NodesOptions = {}): NodesSuite<N> {
  const nodes = Array.from({ length: count }, () => ({}) as TestNode);
  const apis = nodes.map(
    (node) =>
      new Api(() => {
        if (!node.url) throw new Error("the suite's nodes are not started yet: use them in its hooks and tests");
        return node.url;
      }),
  );
  const running: TestNode[] = [];
  let dataDir: string | undefined;
  before(async function () {
    this.timeout(Math.max(this.timeout(), opts.startTimeoutMs ?? START_TIMEOUT_MS));
    if (opts.sharedDataDir) dataDir = await mkdtemp(path.join(tmpdir(), "chat-shared-"));
    const started = await start(dataDir);
    running.push(...started);
    if (started.length !== count) throw new Error(`started ${started.length} nodes, expected ${count}`);
    started.forEach((node, i) => Object.assign(nodes[i]!, node));
  });
  after(async () => {
    await Promise.all(running.splice(0).map((node) => node.stop()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  return { nodes: nodes as Tuple<TestNode, N>, apis: apis as Tuple<Api, N>, ...useSockets() };
}

/** The options (computed if they are a function), with the shared DATA_DIR if there is one. */
const optionsWith = async (opts: NodeOptionsOf, dataDir?: string): Promise<TestNodeOptions> => ({ ...(typeof opts === "function" ? await opts() : opts), ...(dataDir ? { dataDir } : {}) });

/** `count` nodes of one cluster (one PostgreSQL, one Redis, one token secret): see startTestCluster. */
export function useCluster<N extends number>(count: N, opts: NodeOptionsOf = {}, suite: NodesOptions = {}): NodesSuite<N> {
  return useNodes(count, async (dataDir) => startTestCluster(count, await optionsWith(opts, dataDir)), suite);
}

/** One node (see startTestNode) and a client for it. */
export function useNode(opts: NodeOptionsOf = {}, suite: NodesOptions = {}): SuiteSockets & { node: TestNode; api: Api } {
  const { nodes: [node], apis: [api], ...sockets } = useNodes(1, async (dataDir) => [await startTestNode(await optionsWith(opts, dataDir))], suite);
  return { node, api, ...sockets };
}

/**
 * The Redis topologies the multi-node suites run on: one Redis and a Redis Cluster (sharded
 * pub/sub), so each cross-node behaviour is proven on both by one suite. TEST_REDIS_TOPOLOGIES
 * ("single", "cluster" or both, comma-separated) narrows a local run.
 */
export const REDIS_TOPOLOGIES: readonly RedisTopology[] = (process.env.TEST_REDIS_TOPOLOGIES || "single,cluster")
  .split(",")
  .map((t) => t.trim())
  .filter((t): t is RedisTopology => t === "single" || t === "cluster");

/** describe(title) once per topology (the title says which); `body` passes its topology to useCluster's options. */
export function describeTopologies(title: string, body: (this: Mocha.Suite, topology: RedisTopology) => void) {
  for (const topology of REDIS_TOPOLOGIES) {
    describe(`${title} [redis ${topology}]`, function () {
      body.call(this, topology);
    });
  }
}
