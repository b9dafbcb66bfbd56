// Every adapter of a node, built from config in this one place: the database and where messages
// live, the Redis connections and who uses each, and for every port whether Redis, the database or
// the process implements it. Features receive these through features.ts; nothing else builds one.
import path from "node:path";
import type { Config } from "../config.js";
import type { CallRegistry } from "../domain/ports/call-registry.js";
import type { MailTransport } from "../domain/ports/mail-transport.js";
import type { PresenceTracker } from "../domain/ports/presence-tracker.js";
import type { Readiness, ReadyReport } from "../http/app.js";
import type { Logger } from "../logger.js";
import { FfmpegTranscoder } from "../media/ffmpeg-transcoder.js";
import { SharpThumbnailer } from "../media/sharp-thumbnailer.js";
import { childrenOf, createMetrics } from "../metrics.js";
import { startTracing } from "../observability/tracing.js";
import { createSocketServer } from "../realtime/server.js";
import { SocketBroadcaster } from "../realtime/socket-broadcaster.js";
import { SocketCallRelay } from "../realtime/socket-call-relay.js";
import { BcryptHasher } from "../security/bcrypt-hasher.js";
import { JwtAccessTokens } from "../security/jwt-access-tokens.js";
import { resolveJwtSecret } from "../security/jwt-secret.js";
import { ConfiguredIceServers } from "../security/turn-credentials.js";
import { resolveVapidKeys } from "../security/vapid-keys.js";
import { CachedBlockRepository } from "../store/cached-blocks.js";
import { CachedBotRepository } from "../store/cached-bots.js";
import { withMemberCache } from "../store/cached-rooms.js";
import { CachedSessionRepository } from "../store/cached-sessions.js";
import { LocalBus, RedisBus, type ClusterBus } from "../store/cluster-bus.js";
import { openDatabase, type Database } from "../store/database.js";
import { BusWaker } from "../store/feed-wakers.js";
import { FileBlobStorage } from "../store/file-blob-storage.js";
import { LogMailTransport } from "../store/mail-transports.js";
import { MemoryCallRegistry } from "../store/memory-call-registry.js";
import { MemoryPresenceTracker } from "../store/memory-presence.js";
import { openMessageBackend, type MessageBackend } from "../store/message-backend.js";
import { MemoryPlayerStates, RedisPlayerStates } from "../store/player-states.js";
import { PrismaAuditLog } from "../store/prisma-audit-log.js";
import { PrismaAccountExportRepository } from "../store/prisma-account-exports.js";
import { PrismaAttachmentRepository } from "../store/prisma-attachments.js";
import { PrismaBlockRepository } from "../store/prisma-blocks.js";
import { PrismaBotRepository } from "../store/prisma-bots.js";
import { PrismaFeedLog } from "../store/prisma-feed-log.js";
import { PrismaMentionIndex } from "../store/prisma-mentions.js";
import { PrismaModerationStore } from "../store/prisma-moderation.js";
import { PrismaReplyIndex } from "../store/prisma-replies.js";
import { PrismaPlayCounter } from "../store/prisma-plays.js";
import { PrismaPlaylistRepository } from "../store/prisma-playlists.js";
import { PrismaPushSubscriptionRepository } from "../store/prisma-push-subscriptions.js";
import { PrismaReportRepository } from "../store/prisma-reports.js";
import { PrismaRoomRepository } from "../store/prisma-rooms.js";
import { PrismaEmailCodeRepository, PrismaSessionRepository } from "../store/prisma-sessions.js";
import { PrismaFollowRepository, PrismaFriendRepository } from "../store/prisma-social.js";
import { PrismaTrackRepository } from "../store/prisma-tracks.js";
import { PrismaUserRepository } from "../store/prisma-users.js";
import { LocalSocketCensus, RedisSocketCensus } from "../store/socket-census.js";
import { MemoryPushCoalescer, RedisPushCoalescer } from "../store/push-coalescers.js";
import { createRateLimiter } from "../store/rate-limiters.js";
import { RedisCallRegistry } from "../store/redis-call-registry.js";
import { RedisPlayCounter } from "../store/redis-plays.js";
import { openRedisConnections, type RedisClient, type RedisConnections } from "../store/redis-connections.js";
import { RedisPresenceTracker } from "../store/redis-presence.js";
import { SmtpMailTransport } from "../store/smtp-mail-transport.js";
import { WebPushSender } from "../store/web-push-sender.js";
import { HttpWebhookSender } from "../store/http-webhook-sender.js";
import { PgBossWebhookScheduler } from "../store/pg-boss-webhook-scheduler.js";
import { PrismaWebhookStore } from "../store/prisma-webhooks.js";

export interface AdapterOverrides {
  /** Tests record mail instead of logging it. */
  mail?: MailTransport;
}

/** What openAdapters builds, as built: only the composition root sees the concrete classes; features get ports (services.ts). */
export type Adapters = Awaited<ReturnType<typeof openAdapters>>;

// Under /readyz's own 2 s bound, so a dead master is named rather than timing the check out.
const REDIS_MASTER_PING_MS = 1_000;

export async function openAdapters(config: Config, log: Logger, overrides: AdapterOverrides = {}) {
  const opened = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize }, log);
  // Undefined unless an OTLP endpoint is configured: then nothing of the SDK is loaded.
  const tracing = await startTracing(config.tracing, config.nodeId, log);
  const db = tracing ? tracing.traceDatabase(opened) : opened;
  // REDIS_URL: one Redis; REDIS_CLUSTER_NODES: a Redis Cluster, with sharded pub/sub (store/redis-connections.ts).
  const redisConnections = openRedisConnections(config, log);
  const redisMode = redisConnections?.mode;
  const redis = redisConnections?.open("cmd");
  // On a cluster the adapter publishes on the command connection: each Cluster client holds a
  // connection to every master, so one client fewer is one connection per master fewer.
  const redisPubSub = redisConnections && {
    pub: redisMode === "cluster" ? redis! : redisConnections.open("pub"),
    sub: redisConnections.open("sub", { subscriber: true }),
    sharded: redisMode === "cluster",
  };
  const shared = [...new Set([redis, redisPubSub?.pub, redisPubSub?.sub])];
  const jwtSecret = await resolveJwtSecret(config.jwtSecret, config.dataDir);
  const metrics = createMetrics();
  const broadcasts = childrenOf(metrics.broadcast);
  // METRICS_PHASES=false leaves the message path untimed (to measure what timing it costs).
  const commitObserver = config.metricsPhases
    ? {
        waited: (s: number) => metrics.commitWait.observe(s),
        committed: (s: number, size: number) => (metrics.commit.observe(s), metrics.commitBatch.observe(size)),
        tracer: tracing?.tracer,
      }
    : tracing && { waited: () => {}, committed: () => {}, tracer: tracing.tracer };
  // MongoDB when MONGO_URL is set, else PostgreSQL chunks; an unusable MongoDB stops the start.
  const messageBackend = await openMessageBackend({ mongoUrl: config.mongoUrl, commitObserver }, db, log).catch(async (err: unknown) => {
    for (const client of shared) client?.disconnect();
    await db.close().catch(() => {});
    await tracing?.shutdown();
    throw err;
  });
  const io = createSocketServer({ redis: redisPubSub, coalesceWrites: config.socketCoalesceWrites, corsOrigins: config.corsOrigins });

  // Redis when configured, the process otherwise. Presence and call participants expire with the
  // same ttl, so a crashed node's users go offline and its callers drop out.
  const presence: PresenceTracker = redisConnections
    ? new RedisPresenceTracker(redisConnections.open("presence"), { log: log.child({ component: "presence" }), ttlMs: config.presenceTtlMs, mode: redisMode })
    : new MemoryPresenceTracker();
  const bus: ClusterBus = redisConnections
    ? new RedisBus(redis!, redisConnections.open("bus", { subscriber: true }), log.child({ component: "bus" }), { sharded: redisMode === "cluster" })
    : new LocalBus();
  const calls: CallRegistry = redisConnections
    ? new RedisCallRegistry(redisConnections.open("calls"), { log: log.child({ component: "calls" }), ttlMs: config.presenceTtlMs, bus, mode: redisMode })
    : new MemoryCallRegistry();
  const roomStore = new PrismaRoomRepository(db.prisma, (err, what) => log.error({ err }, what), db.sql);
  const pushSender = new WebPushSender(await resolveVapidKeys(config.push.vapidKeys, config.dataDir), config.push.vapidSubject, {
    allowPrivateEndpoints: config.push.allowPrivateEndpoints,
  });
  const { rateLimits } = config;
  const webhookStore = new PrismaWebhookStore(db.prisma, null, bus, (err, what) => log.warn({ err }, what));
  const webhookScheduler = new PgBossWebhookScheduler(db.pglite ? { pglite: db.pglite } : { databaseUrl: config.databaseUrl! }, log.child({ component: "webhooks" }));
  // pg-boss (the retries' durable timers) starts once an outgoing webhook exists (at start, or made
  // later on any node): until then no retry can be due, and a node has no use for its start, pool
  // and polling.
  webhookStore.onFirstOutgoing(() => webhookScheduler.activate());

  return {
    metrics,
    // Spans of this node (observability/tracing.ts); undefined when tracing is off.
    tracing,
    db,
    messageBackend,
    // The command connection that counters, limits, coalescers and player states share.
    redis,
    // Socket.IO with the Redis adapter when configured: broadcasts reach every node.
    io,
    broadcaster: new SocketBroadcaster(io, {
      timed: config.metricsPhases ? (event, seconds) => broadcasts(event).observe(seconds) : undefined,
      tracer: tracing?.tracer,
      checkPayloads: config.checkReplies,
    }),
    callRelay: new SocketCallRelay(io),
    // Node-to-node notices (feed wake-ups, membership changes, revocations): one subscription per node.
    bus,
    presence,
    calls,
    // The room store under its member cache: its buffered read cursors are flushed before the pool closes.
    roomStore,
    rooms: withMemberCache(roomStore, bus),
    users: new PrismaUserRepository(db.prisma),
    // A revocation is remembered as long as an access token of the session can be valid.
    sessions: new CachedSessionRepository(new PrismaSessionRepository(db.prisma), bus, config.accessTokenTtlSeconds * 1000),
    emailCodes: new PrismaEmailCodeRepository(db.prisma),
    // Bots (docs/integrations.md): each token's bot cached per node, a revocation announced on the bus.
    bots: new CachedBotRepository(new PrismaBotRepository(db.prisma), bus),
    hasher: new BcryptHasher(config.bcryptCost),
    tokens: new JwtAccessTokens(jwtSecret, config.accessTokenTtlSeconds),
    mail: overrides.mail ?? (config.smtpUrl ? new SmtpMailTransport(config.smtpUrl, config.mailFrom) : new LogMailTransport(log.child({ component: "mail" }))),
    friends: new PrismaFriendRepository(db.prisma, db.sql),
    follows: new PrismaFollowRepository(db.prisma),
    // Read on every send, push and unread count: cached per node, a change announced on the bus.
    blocks: new CachedBlockRepository(new PrismaBlockRepository(db.prisma), bus),
    feedLog: new PrismaFeedLog(db.prisma),
    // Beside the messages, in PostgreSQL whichever store holds the messages themselves.
    mentions: new PrismaMentionIndex(db.prisma, db.sql),
    replies: new PrismaReplyIndex(db.prisma, db.sql),
    waker: new BusWaker(bus, { mode: redisMode }),
    pushSubscriptions: new PrismaPushSubscriptionRepository(db.prisma),
    // Sends Web Push, and decides which push endpoints may be subscribed (its host policy).
    pushSender,
    pushCoalescer: redis ? new RedisPushCoalescer(redis, config.push.coalesceMs) : new MemoryPushCoalescer(),
    iceServers: new ConfiguredIceServers(config.ice),
    // Shared across nodes through Redis where a client could spread its attempts over nodes.
    limits: {
      loginFailures: createRateLimiter({ keyPrefix: "login-fail", points: rateLimits.loginFailuresPer15Minutes, durationSeconds: 15 * 60, redis }),
      authPerIp: createRateLimiter({ keyPrefix: "auth-ip", points: rateLimits.authPerMinutePerIp, durationSeconds: 60, redis }),
      perUser: createRateLimiter({ keyPrefix: "user", points: rateLimits.userRequestsPerSecond, durationSeconds: 1 }),
      socketSends: createRateLimiter({ keyPrefix: "socket-send", points: rateLimits.socketSendBurst, durationSeconds: 1 }),
      socketEvents: createRateLimiter({ keyPrefix: "socket-event", points: rateLimits.socketEventsPerSecond, durationSeconds: 1 }),
    },
    // Operators (docs/operators.md): reports, the append-only audit log, suspensions and deletions
    // with their audit entries, and each node's socket count for the stats.
    reports: new PrismaReportRepository(db.prisma),
    audit: new PrismaAuditLog(db.prisma),
    moderation: new PrismaModerationStore(db.prisma, bus),
    socketCensus: redis
      ? new RedisSocketCensus(redis, config.nodeId, () => io.of("/").sockets.size, log.child({ component: "census" }))
      : new LocalSocketCensus(config.nodeId, () => io.of("/").sockets.size),
    blobs: new FileBlobStorage(path.join(config.dataDir, "blobs")),
    // Data exports: the durable queue of archives to build, and the built ones (docs/accounts.md).
    accountExports: new PrismaAccountExportRepository(db.prisma),
    // Webhooks (docs/integrations.md): the rows and delivery cursors, the signed POSTs (public
    // addresses only unless allowed), durable retries on pg-boss, each incoming hook's own limit.
    webhooks: {
      // Through Prisma's pool: a hundred rooms' runs at once queued on the plain pool's few
      // connections, which the send path needs (bench/webhooks.ts: 190 against 300 deliveries/s).
      store: webhookStore,
      sender: new HttpWebhookSender({ allowPrivateTargets: config.webhooks.allowPrivateTargets }),
      scheduler: webhookScheduler,
      incomingLimiter: createRateLimiter({ keyPrefix: "webhook-in", points: config.webhooks.incomingPerMinute, durationSeconds: 60, redis }),
    },
    // Files and music (docs/media.md): ffmpeg and sharp do the work, the database keeps the records.
    media: {
      tracks: new PrismaTrackRepository(db.prisma),
      attachments: new PrismaAttachmentRepository(db.prisma),
      playlists: new PrismaPlaylistRepository(db.prisma),
      plays: redis ? new RedisPlayCounter(redis, { mode: redisMode }) : new PrismaPlayCounter(db.prisma),
      players: redis ? new RedisPlayerStates(redis) : new MemoryPlayerStates(),
      transcoder: new FfmpegTranscoder(),
      thumbnailer: new SharpThumbnailer(),
    },
    // What /readyz checks, and what it names besides.
    readiness: readinessChecks(db, messageBackend, config.redisUrl, redis, redisConnections),
    readyReport: { messageStore: messageBackend.kind, redisMode: redisMode ?? "none" } satisfies ReadyReport,
    // The shared Redis connections; the others are closed by the adapters that opened them.
    closeRedis: async () => {
      for (const client of shared) {
        if (client) await client.quit().catch(() => client.disconnect());
      }
    },
  };
}

function readinessChecks(db: Database, messageBackend: MessageBackend, redisUrl: string | undefined, redis: RedisClient | undefined, connections: RedisConnections | undefined): Readiness[] {
  const readiness: Readiness[] = [{ name: "database", check: () => db.ping() }];
  if (messageBackend.kind === "mongo") readiness.push({ name: "mongo", check: () => messageBackend.ping() });
  if (connections?.mode === "cluster" && redis) {
    // Ready while any master answers: a shard failing over loses its rooms' broadcasts for seconds
    // (clients resync), and taking every node out of the proxy for it would lose them all.
    let last = { reached: [] as string[], unreachable: [] as string[] };
    readiness.push({
      name: "redis",
      check: async () => {
        last = await connections.masters(redis, REDIS_MASTER_PING_MS);
        if (!last.reached.length) throw new Error("no Redis Cluster master answers");
      },
      redisMasters: () => last,
    });
  } else if (redisUrl && redis) {
    const { hostname, port } = new URL(redisUrl);
    readiness.push({ name: "redis", redisNode: `${hostname}:${port || 6379}`, check: async () => void (await redis.ping()) });
  }
  return readiness;
}
