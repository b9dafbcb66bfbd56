import http from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import type { Config } from "./config.js";
import type { MessageDeps } from "./domain/messages.js";
import { EventsFeed } from "./domain/events-feed.js";
import { PresenceFanout, socketConnected, socketDisconnected } from "./domain/presence.js";
import type { PresenceTracker } from "./domain/ports/presence-tracker.js";
import type { FeedWaker } from "./domain/ports/feed-log.js";
import type { MailTransport } from "./domain/ports/mail-transport.js";
import { createApp, type HttpDeps, type Readiness } from "./http/app.js";
import { Drain } from "./http/drain.js";
import type { RouteKit } from "./http/route.js";
import { registerEventRoutes } from "./http/routes/events.js";
import { registerMessageRoutes } from "./http/routes/messages.js";
import { registerRoomRoutes } from "./http/routes/rooms.js";
import { registerSearchRoutes } from "./http/routes/search.js";
import { SearchIndexFeeder } from "./domain/search-index-feeder.js";
import type { Logger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import type { ChatSocket } from "./realtime/deps.js";
import { createSocketServer, startRealtime } from "./realtime/server.js";
import { wireMedia } from "./media/wiring.js";
import { announceExpiries, type CallDeps } from "./domain/calls.js";
import type { CallRegistry } from "./domain/ports/call-registry.js";
import { PushNotifier } from "./domain/push-notifier.js";
import { registerCallRoutes } from "./http/routes/calls.js";
import { registerPushRoutes } from "./http/routes/push.js";
import { SocketCallRelay } from "./realtime/call-relay.js";
import * as callEvents from "./realtime/calls.js";
import { ConfiguredIceServers } from "./security/turn-credentials.js";
import { resolveVapidKeys } from "./security/vapid-keys.js";
import { MemoryCallRegistry } from "./store/memory-call-registry.js";
import { PrismaPushSubscriptionRepository } from "./store/prisma-push-subscriptions.js";
import { MemoryPushCoalescer, RedisPushCoalescer } from "./store/push-coalescers.js";
import { RedisCallRegistry } from "./store/redis-call-registry.js";
import { WebPushSender } from "./store/web-push-sender.js";
import { AckBudget } from "./realtime/ack-budget.js";
import { Inflight } from "./realtime/inflight.js";
import * as presenceEvents from "./realtime/presence.js";
import { SocketBroadcaster } from "./realtime/socket-broadcaster.js";
import { BcryptHasher } from "./security/bcrypt-hasher.js";
import { JwtAccessTokens } from "./security/jwt-access-tokens.js";
import { resolveJwtSecret } from "./security/jwt-secret.js";
import { openDatabase } from "./store/database.js";
import { withMemberCache } from "./store/cached-rooms.js";
import { CachedSessionRepository } from "./store/cached-sessions.js";
import { classifyFailure } from "./store/outage.js";
import { LocalBus, RedisBus, type ClusterBus } from "./store/cluster-bus.js";
import { BusWaker } from "./store/feed-wakers.js";
import { FileBlobStorage } from "./store/file-blob-storage.js";
import { LogMailTransport } from "./store/mail-transports.js";
import { MemoryPresenceTracker } from "./store/memory-presence.js";
import { RedisPresenceTracker } from "./store/redis-presence.js";
import { openMessageBackend } from "./store/message-backend.js";
import { PrismaFeedLog } from "./store/prisma-feed-log.js";
import { PrismaRoomRepository } from "./store/prisma-rooms.js";
import { PrismaFollowRepository, PrismaFriendRepository } from "./store/prisma-social.js";
import { PrismaEmailCodeRepository, PrismaSessionRepository } from "./store/prisma-sessions.js";
import { PrismaUserRepository } from "./store/prisma-users.js";
import { createRateLimiter } from "./store/rate-limiters.js";
import { SmtpMailTransport } from "./store/smtp-mail-transport.js";

export interface NodeOverrides {
  /** Tests record mail instead of logging it. */
  mail?: MailTransport;
}

export type NodeDeps = HttpDeps & MessageDeps;

export interface RunningNode {
  url: string;
  port: number;
  deps: NodeDeps;
  /** Stops accepting, lets in-flight requests and acks finish (up to the grace period), closes everything. */
  stop(): Promise<void>;
  /** Ends the process's connections at once, as a crash would (tests). */
  kill(): Promise<void>;
}

// The browser client's build output (web/), the same path from src/ under tsx and from dist/.
const WEB_DIST = fileURLToPath(new URL("../web/dist", import.meta.url));

// Events older than this are trimmed; a cursor from before the trim point gets 410.
const EVENT_RETENTION_MS = 3 * 86_400_000;
const EVENT_TRIM_EVERY_MS = 10 * 60_000;
// How long a SIGTERMed node waits, at most, for the proxy to take it out before it stops accepting.
const DRAIN_PROXY_WAIT_MS = 3_000;
// How long a draining node waits, at most, for its long-polling clients to take their disconnect.
const DRAIN_POLLERS_WAIT_MS = 1_000;

function redisClient(url: string, log: Logger, role: string): Redis {
  // Commands queue while Redis restarts and go out when it is back; nothing durable lives there.
  // Auto-pipelining: commands issued in one tick (broadcasts, presence, rate limits) share a write.
  const client = new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: true, enableAutoPipelining: true, connectionName: `chat-${role}` });
  client.on("error", (err) => log.warn({ role, err: err.message }, "redis error"));
  return client;
}

/** The composition root's body: builds every adapter from config, wires both doors, listens. */
export async function startNode(config: Config, log: Logger, overrides: NodeOverrides = {}): Promise<RunningNode> {
  const metrics = createMetrics();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize }, log);
  const redis = config.redisUrl ? redisClient(config.redisUrl, log, "cmd") : undefined;
  const redisPubSub = config.redisUrl ? { pub: redisClient(config.redisUrl, log, "pub"), sub: redisClient(config.redisUrl, log, "sub") } : undefined;
  const jwtSecret = await resolveJwtSecret(config.jwtSecret, config.dataDir);
  // MongoDB when MONGO_URL is set, else PostgreSQL chunks; an unusable MongoDB stops the start.
  const messageBackend = await openMessageBackend({ mongoUrl: config.mongoUrl }, db, log).catch(async (err: unknown) => {
    for (const client of [redis, redisPubSub?.pub, redisPubSub?.sub]) client?.disconnect();
    await db.close().catch(() => {});
    throw err;
  });
  const { messages, search } = messageBackend;
  const searchFeeder = new SearchIndexFeeder(search, { onError: (err, what) => log.warn({ err }, what) });

  const io = createSocketServer({ redis: redisPubSub, coalesceWrites: config.socketCoalesceWrites, corsOrigins: config.corsOrigins });
  const presence: PresenceTracker = config.redisUrl
    ? new RedisPresenceTracker(redisClient(config.redisUrl, log, "presence"), {
        log: log.child({ component: "presence" }),
        ttlMs: config.presenceTtlMs,
      })
    : new MemoryPresenceTracker();
  const broadcaster = new SocketBroadcaster(io);
  // Node-to-node notices (feed wake-ups, membership changes): one Redis subscription per node.
  const bus: ClusterBus = config.redisUrl
    ? new RedisBus(redis!, redisClient(config.redisUrl, log, "bus"), log.child({ component: "bus" }))
    : new LocalBus();
  const roomStore = new PrismaRoomRepository(db.prisma, (err, what) => log.error({ err }, what), db.sql);
  const rooms = withMemberCache(roomStore, bus);
  const users = new PrismaUserRepository(db.prisma);
  // Call participants expire with the same ttl as presence: a crashed node's callers drop out.
  const calls: CallRegistry = config.redisUrl
    ? new RedisCallRegistry(redisClient(config.redisUrl, log, "calls"), { log: log.child({ component: "calls" }), ttlMs: config.presenceTtlMs })
    : new MemoryCallRegistry();
  const callDeps: CallDeps = { rooms, broadcaster, calls, callRelay: new SocketCallRelay(io) };
  announceExpiries(callDeps);
  const pushSubscriptions = new PrismaPushSubscriptionRepository(db.prisma);
  const pushSender = new WebPushSender(await resolveVapidKeys(config.push.vapidKeys, config.dataDir), config.push.vapidSubject, { allowPrivateEndpoints: config.push.allowPrivateEndpoints });
  const push = new PushNotifier({
    rooms,
    users,
    presence,
    pushSubscriptions,
    pushSender,
    pushCoalescer: redis ? new RedisPushCoalescer(redis, config.push.coalesceMs) : new MemoryPushCoalescer(),
    windowMs: config.push.coalesceMs,
    onError: (err, what) => log.warn({ err }, what),
  });
  const waker: FeedWaker = new BusWaker(bus);
  const feed = new EventsFeed({
    feedLog: new PrismaFeedLog(db.prisma),
    waker,
    broadcaster,
    rooms,
    users,
    messages,
    onError: (err, what) => log.error({ err }, what),
  });
  const trimFeed = setInterval(() => {
    feed.trim(new Date(Date.now() - EVENT_RETENTION_MS)).catch((err) => log.warn({ err }, "feed trim failed"));
  }, EVENT_TRIM_EVERY_MS).unref();
  const deps: NodeDeps = {
    users,
    // A revocation is remembered as long as an access token of the session can be valid.
    sessions: new CachedSessionRepository(new PrismaSessionRepository(db.prisma), bus, config.accessTokenTtlSeconds * 1000),
    emailCodes: new PrismaEmailCodeRepository(db.prisma),
    hasher: new BcryptHasher(config.bcryptCost),
    tokens: new JwtAccessTokens(jwtSecret, config.accessTokenTtlSeconds),
    mail: overrides.mail ?? (config.smtpUrl ? new SmtpMailTransport(config.smtpUrl, config.mailFrom) : new LogMailTransport(log.child({ component: "mail" }))),
    loginFailures: createRateLimiter({ keyPrefix: "login-fail", points: config.rateLimits.loginFailuresPer15Minutes, durationSeconds: 15 * 60, redis }),
    refreshTtlMs: config.refreshTokenTtlDays * 86_400_000,
    blobs: new FileBlobStorage(path.join(config.dataDir, "blobs")),
    friends: new PrismaFriendRepository(db.prisma, db.sql),
    follows: new PrismaFollowRepository(db.prisma),
    rooms,
    messages,
    presence,
    feed,
    broadcaster,
    onMessageStored: (message) => {
      metrics.messagesSent.inc();
      push.messageStored(message);
      searchFeeder.put(message);
    },
    onMessageChanged: (message) => searchFeeder.put(message),
    authPerIp: createRateLimiter({ keyPrefix: "auth-ip", points: config.rateLimits.authPerMinutePerIp, durationSeconds: 60, redis }),
    perUser: createRateLimiter({ keyPrefix: "user", points: config.rateLimits.userRequestsPerSecond, durationSeconds: 1 }),
  };
  // Files and music: attachments, tracks with their transcode worker, plays, playlists, player.
  const media = wireMedia({ config, db, redis, blobs: deps.blobs, rooms, broadcaster, log: log.child({ component: "media" }) });
  deps.attachments = media.attachments;

  const presenceDeps = {
    presenceTracker: presence,
    presenceFanout: new PresenceFanout({ ...deps, presenceTracker: presence, onError: (err, what) => log.error({ err }, what) }),
  };

  const readiness: Readiness[] = [{ name: "database", check: () => db.ping() }];
  if (messageBackend.kind === "mongo") readiness.push({ name: "mongo", check: () => messageBackend.ping() });
  if (redis) {
    const { hostname, port } = new URL(config.redisUrl!);
    readiness.push({ name: "redis", redisNode: `${hostname}:${port || 6379}`, check: async () => void (await redis.ping()) });
  }

  // Feature modules add their routers and socket handler groups here.
  const routes: ((kit: RouteKit) => void)[] = [
    (kit) => registerRoomRoutes(kit, deps),
    (kit) => registerMessageRoutes(kit, deps),
    (kit) => registerSearchRoutes(kit, { ...deps, search }),
    (kit) => registerEventRoutes(kit, { feed, metrics }),
    ...media.routes,
    (kit) => registerCallRoutes(kit, { ...callDeps, iceServers: new ConfiguredIceServers(config.ice) }),
    (kit) => registerPushRoutes(kit, { pushSubscriptions, pushSender, hostPolicy: pushSender, allowHttpEndpoints: config.push.allowHttpEndpoints }),
  ];
  const socketGroups: ((socket: ChatSocket) => void)[] = [
    (socket) => callEvents.register(socket, { ...callDeps, log: log.child({ component: "calls" }), inflight, classify: classifyFailure, checkReplies: config.checkReplies }),
    (socket) => media.registerSocket(socket, { log: log.child({ component: "media" }), inflight, classify: classifyFailure, checkReplies: config.checkReplies }),
  ];

  // Running HTTP handlers and socket acks: a drain waits for them before closing the stores.
  const inflight = new Inflight();
  const drain = new Drain();
  const app = createApp(deps, {
    inflight,
    drain,
    log,
    metrics,
    readiness,
    readyReport: { messageStore: messageBackend.kind, redisMode: redis ? "single" : "none" },
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    classify: classifyFailure, checkReplies: config.checkReplies,
    staticDir: existsSync(WEB_DIST) ? WEB_DIST : undefined,
    extraRoutes: routes,
  });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  startRealtime(io, server, {
    ...deps,
    inflight,
    log: log.child({ component: "realtime" }),
    metrics,
    extraGroups: socketGroups,
    ackBudget: new AckBudget(config.rateLimits.socketHandlersMax),
    classify: classifyFailure, checkReplies: config.checkReplies,
    socketSends: createRateLimiter({ keyPrefix: "socket-send", points: config.rateLimits.socketSendBurst, durationSeconds: 1 }),
    socketEvents: createRateLimiter({ keyPrefix: "socket-event", points: config.rateLimits.socketEventsPerSecond, durationSeconds: 1 }),
    onConnect: (socket) => {
      presenceEvents.register(socket, { ...presenceDeps, log, inflight, classify: classifyFailure, checkReplies: config.checkReplies });
      void socketConnected(presenceDeps, socket.data.userId, socket.id);
    },
    onDisconnect: (socket) => void socketDisconnected(presenceDeps, socket.data.userId, socket.id),
    isOnline: async (ids) => new Set([...(await presence.statusOf(ids))].filter(([, p]) => p.status !== "offline").map(([id]) => id)),
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log.info({ port, database: db.kind, redis: Boolean(redis) }, "listening");

  const closeClients = async () => {
    // Disconnects of the node's own sockets publish their offline changes before the stores close.
    await presenceDeps.presenceFanout.idle();
    // Pending pushes go out while presence and the database are still open.
    await push.close();
    await calls.close();
    await presence.close();
    clearInterval(trimFeed);
    await feed.close().catch((err) => log.warn({ err }, "feed close failed"));
    await waker.close();
    await roomStore.flush().catch((err) => log.warn({ err }, "read cursor flush failed"));
    await bus.close();
    // Running transcodes go back to the queue (or, after kill, stay claimed) before the pool closes.
    await media.close();
    await searchFeeder.close();
    await messageBackend.close();
    await db.close();
    for (const client of [redis, redisPubSub?.pub, redisPubSub?.sub]) {
      if (client) await client.quit().catch(() => client.disconnect());
    }
  };

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
      await feed.close();
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
      // not at their idle timeout or the grace period.
      const closeIdle = setInterval(() => server.closeIdleConnections(), 50);
      await closed;
      clearInterval(closeIdle);
      // A handler whose client already left still runs; it must not meet a closed pool.
      await Promise.race([inflight.idle(), new Promise((r) => setTimeout(r, config.shutdownGraceMs).unref())]);
      clearTimeout(grace);
      await closeClients();
      log.info("stopped");
    })());

  const kill = async () => {
    stopping ??= (async () => {
      // As a crash: this node's sockets stay registered until they expire (other nodes sweep them).
      presence.abandon();
      media.abandon();
      calls.abandon();
      push.abandon();
      server.closeAllConnections();
      io.local.disconnectSockets(true);
      io.close();
      await closeClients().catch(() => {});
    })();
    await stopping;
  };

  return { url: `http://${host}:${port}`, port, deps, stop, kill };
}
