import os from "node:os";
import path from "node:path";

import { envSchema, type Env } from "./config-env.js";

// The node's settings, read once from the environment (its schema: config-env.ts).

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  redisUrl: string | undefined;
  /** Seeds of a Redis Cluster (REDIS_CLUSTER_NODES, `host:port`): sharded pub/sub instead of one Redis. */
  redisClusterNodes: string[] | undefined;
  mongoUrl: string | undefined;
  jwtSecret: string | undefined;
  logLevel: string;
  nodeId: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  bcryptCost: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  rateLimits: {
    authPerMinutePerIp: number;
    loginFailuresPer15Minutes: number;
    userRequestsPerSecond: number;
    socketSendBurst: number;
    /** Every other client event, per socket and event name, per second. */
    socketEventsPerSecond: number;
    /** Chat socket handlers running at once per node; past it, UNAVAILABLE (load shedding). */
    socketHandlersMax: number;
  };
  /** WebSocket frames to one socket within one event-loop turn share one write (realtime/write-coalescing.ts). */
  socketCoalesceWrites: boolean;
  shutdownGraceMs: number;
  /** A socket whose node stopped heartbeating is dropped after this long (a crashed node's users go offline). */
  presenceTtlMs: number;
  /** Express "trust proxy": which hops may set X-Forwarded-For (per-IP rate limits read it). */
  trustProxy: string;
  /** Origins other than the node's own that browsers may call from, on both doors. */
  corsOrigins: string[];
  /** Check every reply (HTTP body, socket ack) against the contract's schema; a mismatch is a 500 (test runs). */
  checkReplies: boolean;
  /** Per-event, per-phase, commit and broadcast histograms on the message path (docs/metrics.md); false only to measure what they cost. */
  metricsPhases: boolean;
  /** Files and music (docs/media.md): upload limits and the background workers (transcodes; exports, docs/accounts.md). */
  media: { attachmentMaxBytes: number; trackMaxBytes: number; transcodeConcurrency: number; transcodeLeaseMs: number; exportLeaseMs: number };
  /** WebRTC: STUN servers, TURN servers with coturn's REST-style shared secret, and how long a TURN credential lives. */
  ice: { stunUrls: string[]; turnUrls: string[]; turnSecret: string | undefined; ttlSeconds: number };
  push: {
    /** Both or neither; absent: generated once into DATA_DIR. */
    vapidKeys: { publicKey: string; privateKey: string } | undefined;
    vapidSubject: string;
    /** Messages for one offline user in one room within this window become one push. */
    coalesceMs: number;
    /** Accept http:// subscription endpoints (tests, a local push-service stand-in). */
    allowHttpEndpoints: boolean;
    /** Accept and post to endpoints on loopback, private and other non-public addresses (tests, a local stand-in). */
    allowPrivateEndpoints: boolean;
  };
  /** Webhooks (docs/integrations.md). */
  webhooks: {
    /** Accept http:// targets of outgoing webhooks (tests, a local receiver). */
    allowHttpTargets: boolean;
    /** Accept and post to targets on loopback, private and other non-public addresses (tests, a local receiver). */
    allowPrivateTargets: boolean;
    /** The first retry's wait after a failed delivery; it doubles per failure in a row, up to an hour. */
    retryBaseMs: number;
    /** Posts to one incoming webhook per minute. */
    incomingPerMinute: number;
  };
  /** Absent: tracing is off (no SDK loaded, no span made). */
  tracing: TracingConfig | undefined;
}

/** OpenTelemetry tracing (observability/tracing.ts): set only when an OTLP endpoint is. */
export interface TracingConfig {
  /** Where spans are POSTed: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. */
  endpoint: string;
  protocol: "http/protobuf" | "http/json";
  headers: Record<string, string>;
  timeoutMs: number;
  serviceName: string;
  resourceAttributes: Record<string, string>;
  /** The sampler of a trace's root; `parentBased`: a span with a parent follows the parent's decision. */
  sampler: { root: "always_on" | "always_off" | "traceidratio"; parentBased: boolean; ratio: number };
  /** Longest a finished span waits in the batch before export (OTEL_BSP_SCHEDULE_DELAY). */
  scheduleDelayMs: number;
}

export class ConfigError extends Error {}

/** Reads the environment once; a bad value stops the start with every problem named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const port = e.PORT ?? 3000;
  return {
    port,
    host: e.HOST ?? "0.0.0.0",
    dataDir: path.resolve(e.DATA_DIR ?? "./data"),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE ?? 20,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    mongoUrl: e.MONGO_URL,
    jwtSecret: e.JWT_SECRET,
    logLevel: e.LOG_LEVEL ?? "info",
    nodeId: e.NODE_ID ?? `${os.hostname()}:${port}`,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? "chat <no-reply@localhost>",
    // Cost 10 is ~50 ms per hash on this machine: slow for attackers, tolerable for signup bursts.
    bcryptCost: e.BCRYPT_COST ?? 10,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS ?? 15 * 60,
    refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS ?? 30,
    rateLimits: {
      authPerMinutePerIp: e.RATE_LIMIT_AUTH_PER_MINUTE ?? 120,
      loginFailuresPer15Minutes: e.RATE_LIMIT_LOGIN_FAILURES ?? 10,
      userRequestsPerSecond: e.RATE_LIMIT_USER_PER_SECOND ?? 100,
      socketSendBurst: e.RATE_LIMIT_SOCKET_SENDS ?? 200,
      // As many as sends: a client marks a room read with each message it sends or shows, and
      // types every few seconds; a script sending 2,000 typing or sync a second gets refused.
      socketEventsPerSecond: e.RATE_LIMIT_SOCKET_EVENTS ?? 200,
      // About a second of work at what one node carries (docs/performance.md): a longer queue
      // only adds waiting, then memory.
      socketHandlersMax: e.SOCKET_HANDLERS_MAX ?? 2_000,
    },
    socketCoalesceWrites: e.SOCKET_COALESCE_WRITES !== "false",
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? 8_000,
    // 45 s: three missed 15 s heartbeats, so a crashed node's users go offline within a minute.
    presenceTtlMs: e.PRESENCE_TTL_MS ?? 45_000,
    // Only a proxy on this host by default: trusting private ranges would let any client on
    // such a network pick its own address and slip past per-IP limits.
    trustProxy: e.TRUST_PROXY ?? "loopback",
    // Default none: the served client is same-origin and needs no CORS.
    corsOrigins: e.CORS_ORIGINS ?? [],
    // Off in production: a zod parse of every reply costs CPU for a check the test suite makes.
    checkReplies: e.CHECK_REPLIES === "true",
    metricsPhases: e.METRICS_PHASES !== "false",
    media: {
      // Uploads are buffered in memory before they are checked and stored: these bound that.
      attachmentMaxBytes: e.ATTACHMENT_MAX_BYTES ?? 25 * 1024 * 1024,
      trackMaxBytes: e.TRACK_MAX_BYTES ?? 50 * 1024 * 1024,
      // One ffmpeg per node by default: it takes a core while it runs, chat traffic needs the other.
      transcodeConcurrency: e.TRANSCODE_CONCURRENCY ?? 1,
      // Renewed every third of it; a crashed node's transcode is resumed elsewhere after it.
      transcodeLeaseMs: e.TRANSCODE_LEASE_MS ?? 30_000,
      // As a transcode's: renewed every third of it; a crashed node's export is built elsewhere after it.
      exportLeaseMs: e.EXPORT_LEASE_MS ?? 30_000,
    },
    ice: {
      stunUrls: e.STUN_URLS ?? [],
      turnUrls: e.TURN_URLS ?? [],
      turnSecret: e.TURN_SECRET,
      // A day: long enough for any call (coturn checks it at allocation and refresh), short
      // enough that a leaked credential soon stops working.
      ttlSeconds: e.TURN_TTL_SECONDS ?? 86_400,
    },
    push: {
      vapidKeys: e.VAPID_PUBLIC_KEY && e.VAPID_PRIVATE_KEY ? { publicKey: e.VAPID_PUBLIC_KEY, privateKey: e.VAPID_PRIVATE_KEY } : undefined,
      // Push services contact this address about misbehaving senders; default: the mail sender's.
      vapidSubject: e.VAPID_SUBJECT ?? `mailto:${/<([^>]+)>/.exec(e.MAIL_FROM ?? "")?.[1] ?? e.MAIL_FROM ?? "no-reply@localhost"}`,
      // 2 s: a burst of messages becomes one notification, and the first still arrives promptly.
      coalesceMs: e.PUSH_COALESCE_MS ?? 2_000,
      allowHttpEndpoints: e.PUSH_ALLOW_HTTP === "true",
      allowPrivateEndpoints: e.PUSH_ALLOW_PRIVATE === "true",
    },
    webhooks: {
      allowHttpTargets: e.WEBHOOK_ALLOW_HTTP === "true",
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE === "true",
      // 10 s, doubling: a target restarting is caught within a minute, one down for a day gets ~40 attempts.
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS ?? 10_000,
      // One a second on average, as chat services allow their incoming hooks, in bursts of a minute.
      incomingPerMinute: e.WEBHOOK_INCOMING_PER_MINUTE ?? 60,
    },
    tracing: tracingConfig(e),
  };
}

function tracingConfig(e: Env): TracingConfig | undefined {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base && new URL("v1/traces", base.endsWith("/") ? base : `${base}/`).toString());
  if (!endpoint || e.OTEL_SDK_DISABLED === "true") return undefined;
  const sampler = e.OTEL_TRACES_SAMPLER ?? "parentbased_always_on";
  return {
    endpoint,
    // The spec's default; the collector's OTLP/HTTP receiver takes both.
    protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? "http/protobuf",
    headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    timeoutMs: e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? e.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
    serviceName: e.OTEL_SERVICE_NAME ?? "chat-backend",
    resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ?? {},
    sampler: {
      root: sampler.replace("parentbased_", "") as TracingConfig["sampler"]["root"],
      parentBased: sampler.startsWith("parentbased_"),
      ratio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    },
    scheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY ?? 5_000,
  };
}
