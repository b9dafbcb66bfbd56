// The composition root: builds a node's adapters from config (adapters.ts), the domain over them
// (services.ts), hands each feature its ports (features.ts), and gives the HTTP app and the socket
// server the routes and handler groups to mount. node.ts starts, drains and stops what this returns;
// nothing outside src/composition chooses an adapter.
import { existsSync } from "node:fs";
import type http from "node:http";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import type { Config } from "../config.js";
import { createApp } from "../http/app.js";
import type { Drain } from "../http/drain.js";
import type { Logger } from "../logger.js";
import { childrenOf } from "../metrics.js";
import { AckBudget } from "../realtime/ack-budget.js";
import type { ChatServer } from "../realtime/deps.js";
import type { Inflight } from "../realtime/inflight.js";
import { startRealtime } from "../realtime/server.js";
import { classifyFailure } from "../store/outage.js";
import { openAdapters, type AdapterOverrides } from "./adapters.js";
import { listFeatures, routesOf, socketGroupsOf, type Feature } from "./features.js";
import { startServices, type NodeDeps } from "./services.js";
import type { EventsFeed } from "../domain/feed.js";

// The browser client's build output (web/), the same path from src/ under tsx and from dist/.
const WEB_DIST = fileURLToPath(new URL("../../web/dist", import.meta.url));

export interface ComposedNode {
  app: Express;
  io: ChatServer;
  /** The core use cases' ports (tests reach the feed and the stores through it). */
  deps: NodeDeps;
  /** The event feed itself (deps.feed may be wrapped, e.g. to wake webhooks): tests trim it. */
  feed: EventsFeed;
  features: readonly Feature[];
  /** What the "listening" line names. */
  summary: { database: string; redis: boolean };
  /** Attaches the socket server to the HTTP server: handshakes are authenticated, groups registered. */
  attachSockets(server: http.Server): void;
  /** Answers held long-polls at once (no events, same cursor): the drain's first step. */
  releasePolls(): Promise<void>;
  /** Closes every service and adapter, in the order that lets each finish its work first. */
  close(): Promise<void>;
  /** As a crash: what this node holds is left to expire, for the other nodes to sweep up. */
  abandon(): void;
}

/** Lifecycle pieces owned by node.ts: the running-handler count and the drain flag. */
export interface Lifecycle {
  inflight: Inflight;
  drain: Drain;
}

export async function composeNode(config: Config, log: Logger, lifecycle: Lifecycle, overrides: AdapterOverrides = {}): Promise<ComposedNode> {
  const { inflight, drain } = lifecycle;
  const a = await openAdapters(config, log, overrides);
  const s = startServices(a, config, log);
  const { metrics } = a;
  const phases = childrenOf(metrics.socketEventPhase);
  const events = childrenOf(metrics.socketEvent);
  const timing = config.metricsPhases
    ? {
        phase: (event: string, phase: string, seconds: number) => phases(event, phase).observe(seconds),
        done: (event: string, outcome: string, seconds: number) => events(event, outcome).observe(seconds),
      }
    : undefined;
  const acks = { inflight, classify: classifyFailure, checkReplies: config.checkReplies, timing, tracer: a.tracing?.tracer };
  const realtimeLog = log.child({ component: "realtime" });
  const features = listFeatures(s, a, {
    chat: { ...acks, log: realtimeLog, ackBudget: new AckBudget(config.rateLimits.socketHandlersMax) },
    calls: { ...acks, log: log.child({ component: "calls" }) },
    media: { ...acks, log: log.child({ component: "media" }) },
    presence: { ...acks, log },
  });

  const app = createApp({
    inflight,
    drain,
    log,
    metrics: a.metrics,
    readiness: a.readiness,
    readyReport: a.readyReport,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    classify: classifyFailure,
    checkReplies: config.checkReplies,
    staticDir: existsSync(WEB_DIST) ? WEB_DIST : undefined,
    auth: s.deps,
    routes: routesOf(features),
    httpSpans: a.tracing?.httpSpans,
  });

  return {
    app,
    io: a.io,
    deps: s.deps,
    feed: s.feed,
    features,
    summary: { database: a.db.kind, redis: Boolean(a.redis) },
    attachSockets: (server) =>
      startRealtime(a.io, server, {
        auth: { ...s.deps, revocations: a.sessions, botRevocations: a.bots },
        groups: socketGroupsOf(features),
        socketEvents: a.limits.socketEvents,
        metrics: a.metrics,
        log: realtimeLog,
      }),
    releasePolls: () => s.feed.close(),
    close: async () => {
      // Disconnects of the node's own sockets publish their offline changes before the stores close.
      await s.presence.presenceFanout.idle();
      // Pending pushes go out while presence and the database are still open.
      await s.pushNotifier.close();
      await a.calls.close();
      await a.presence.close();
      s.stopTrimming();
      await s.feed.close().catch((err) => log.warn({ err }, "feed close failed"));
      await a.waker.close();
      await a.roomStore.flush().catch((err) => log.warn({ err }, "read cursor flush failed"));
      await a.bus.close();
      // Running transcodes go back to the queue (or, after kill, stay claimed) before the pool closes.
      await s.transcodeWorker.stop();
      await s.accountData.exportWorker.stop();
      // Webhook runs let their webhooks go (another node takes them up) and pg-boss stops polling.
      await s.webhookDispatcher.stop();
      a.webhooks.store.close();
      a.webhooks.sender.close();
      await a.media.players.close();
      await s.searchFeeder.close();
      await a.messageBackend.close();
      await a.db.close();
      // Withdraws this node's socket count while the shared Redis connection is still open.
      await a.socketCensus.close();
      await a.closeRedis();
      // Last: the spans of everything above are exported before the node is gone.
      await a.tracing?.shutdown();
    },
    abandon: () => {
      a.presence.abandon();
      void s.transcodeWorker.abandon();
      void s.accountData.exportWorker.abandon();
      s.webhookDispatcher.abandon();
      a.calls.abandon();
      s.pushNotifier.abandon();
      a.socketCensus.abandon();
    },
  };
}
