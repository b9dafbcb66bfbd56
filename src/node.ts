import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Config } from "./config.js";
import { composeNode, type ComposedNode } from "./composition/root.js";
import type { AdapterOverrides } from "./composition/adapters.js";
import type { Feature } from "./composition/features.js";
import type { NodeDeps } from "./composition/services.js";
import { Drain } from "./http/drain.js";
import type { Logger } from "./logger.js";
import { Inflight } from "./realtime/inflight.js";
import type { EventsFeed } from "./domain/feed.js";

export type NodeOverrides = AdapterOverrides;

export interface RunningNode {
  url: string;
  port: number;
  deps: NodeDeps;
  /** The event feed itself (deps.feed may be wrapped, e.g. to wake webhooks): tests trim it. */
  feed: EventsFeed;
  /** What the HTTP app and the socket server were given to mount, feature by feature. */
  features: readonly Feature[];
  /** Stops accepting, lets in-flight requests and acks finish (up to the grace period), closes everything. */
  stop(): Promise<void>;
  /** Ends the process's connections at once, as a crash would (tests). */
  kill(): Promise<void>;
}

// How long a SIGTERMed node waits, at most, for the proxy to take it out before it stops accepting.
const DRAIN_PROXY_WAIT_MS = 3_000;
// How long a draining node waits, at most, for its long-polling clients to take their disconnect.
const DRAIN_POLLERS_WAIT_MS = 1_000;

/** A node's lifecycle: composes it (composition/root.ts), listens, and drains or kills it. */
export async function startNode(config: Config, log: Logger, overrides: NodeOverrides = {}): Promise<RunningNode> {
  // Running HTTP handlers and socket acks: a drain waits for them before closing the stores.
  const inflight = new Inflight();
  const drain = new Drain();
  const node: ComposedNode = await composeNode(config, log, { inflight, drain }, overrides);
  const { io } = node;
  const server = http.createServer(node.app);
  server.keepAliveTimeout = 65_000;
  node.attachSockets(server);
  // Node counts a connection that has not sent a byte yet (a client's spare, pre-opened one) as
  // busy, not idle: closeIdleConnections leaves it, and the drain's server.close() would wait the
  // whole grace period for it. It holds no request, so the drain closes it with the idle ones.
  const connections = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log.info({ port, ...node.summary }, "listening");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // First out of the proxy's balancing (/readyz 503), so no new session lands here; the
      // sessions already here carry on meanwhile. Then drain them, and stop accepting last.
      const proxy = await drain.begin(DRAIN_PROXY_WAIT_MS);
      log.info({ proxy }, "not ready; draining");
      const grace = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      const graceOver = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
      // Held polls answer now (no events, same cursor) instead of holding the drain for 55 s.
      await node.releasePolls();
      // Handlers already running finish and ack before their sockets are closed (under steady
      // traffic the node is never idle: a send arriving from now on may be cut off, and is sent again).
      await Promise.race([inflight.settled(), graceOver]);
      io.local.disconnectSockets(true);
      // A long-polling session takes its disconnect (and the acks before it) with its next poll:
      // wait for them (at most 1 s), so it reconnects at once instead of after an error.
      const pollersDeadline = Date.now() + DRAIN_POLLERS_WAIT_MS;
      while (io.engine.clientsCount > 0 && Date.now() < pollersDeadline) await new Promise((r) => setTimeout(r, 20));
      // Only now stop accepting: no new session comes (not ready), and the sessions here got their
      // acks and their disconnect over connections still open, so they reconnect elsewhere at once.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      io.close();
      // Keep-alive connections (a proxy keeps its own) close as soon as their last response is out,
      // not at their idle timeout or the grace period; so do those that never sent a request.
      const closeIdle = setInterval(() => {
        server.closeIdleConnections();
        for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
      }, 50);
      await closed;
      clearInterval(closeIdle);
      // A handler whose client already left still runs; it must not meet a closed pool.
      await Promise.race([inflight.idle(), new Promise((r) => setTimeout(r, config.shutdownGraceMs).unref())]);
      clearTimeout(grace);
      await node.close();
      log.info("stopped");
    })());

  const kill = async () => {
    stopping ??= (async () => {
      // As a crash: this node's sockets stay registered until they expire (other nodes sweep them).
      node.abandon();
      server.closeAllConnections();
      io.local.disconnectSockets(true);
      io.close();
      await node.close().catch(() => {});
    })();
    await stopping;
  };

  return { url: `http://${host}:${port}`, port, deps: node.deps, feed: node.feed, features: node.features, stop, kill };
}
