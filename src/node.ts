import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Redis } from "ioredis";
import type { Config } from "./config.js";
import type { FeedPublisher } from "./domain/ports/feed.js";
import type { MailTransport } from "./domain/ports/mail-transport.js";
import { createApp, type HttpDeps, type Readiness } from "./http/app.js";
import type { Logger } from "./logger.js";
import { createMetrics } from "./metrics.js";
import { BcryptHasher } from "./security/bcrypt-hasher.js";
import { JwtAccessTokens } from "./security/jwt-access-tokens.js";
import { resolveJwtSecret } from "./security/jwt-secret.js";
import { openDatabase } from "./store/database.js";
import { FileBlobStorage } from "./store/file-blob-storage.js";
import { LogMailTransport } from "./store/mail-transports.js";
import { OfflinePresence } from "./store/offline-presence.js";
import { PrismaFollowRepository, PrismaFriendRepository } from "./store/prisma-social.js";
import { PrismaEmailCodeRepository, PrismaSessionRepository } from "./store/prisma-sessions.js";
import { PrismaUserRepository } from "./store/prisma-users.js";
import { createRateLimiter } from "./store/rate-limiters.js";
import { SmtpMailTransport } from "./store/smtp-mail-transport.js";

export interface NodeOverrides {
  /** Tests record mail instead of logging it. */
  mail?: MailTransport;
}

export interface RunningNode {
  url: string;
  port: number;
  deps: HttpDeps;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes everything. */
  stop(): Promise<void>;
}

// No-op until the events feed lands (issue 5); kept behind the port so use cases already publish.
const feedNotYetWired: FeedPublisher = { publish: async () => {} };

/** The composition root's body: builds every adapter from config, wires the doors, listens. */
export async function startNode(config: Config, log: Logger, overrides: NodeOverrides = {}): Promise<RunningNode> {
  const metrics = createMetrics();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: path.join(config.dataDir), poolSize: config.databasePoolSize }, log);
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false }) : undefined;
  redis?.on("error", (err) => log.warn({ err: err.message }, "redis error"));
  const jwtSecret = await resolveJwtSecret(config.jwtSecret, config.dataDir);

  const users = new PrismaUserRepository(db.prisma);
  const deps: HttpDeps = {
    users,
    sessions: new PrismaSessionRepository(db.prisma),
    emailCodes: new PrismaEmailCodeRepository(db.prisma),
    hasher: new BcryptHasher(config.bcryptCost),
    tokens: new JwtAccessTokens(jwtSecret, config.accessTokenTtlSeconds),
    mail: overrides.mail ?? (config.smtpUrl ? new SmtpMailTransport(config.smtpUrl, config.mailFrom) : new LogMailTransport(log.child({ component: "mail" }))),
    loginFailures: createRateLimiter({ keyPrefix: "login-fail", points: config.rateLimits.loginFailuresPer15Minutes, durationSeconds: 15 * 60, redis }),
    refreshTtlMs: config.refreshTokenTtlDays * 86_400_000,
    blobs: new FileBlobStorage(path.join(config.dataDir, "blobs")),
    friends: new PrismaFriendRepository(db.prisma),
    follows: new PrismaFollowRepository(db.prisma),
    presence: new OfflinePresence(),
    feed: feedNotYetWired,
    authPerIp: createRateLimiter({ keyPrefix: "auth-ip", points: config.rateLimits.authPerMinutePerIp, durationSeconds: 60, redis }),
    perUser: createRateLimiter({ keyPrefix: "user", points: config.rateLimits.userRequestsPerSecond, durationSeconds: 1 }),
  };

  const readiness: Readiness[] = [{ name: "database", check: () => db.ping() }];
  if (redis) readiness.push({ name: "redis", check: async () => void (await redis.ping()) });

  const app = createApp(deps, { log, metrics, readiness });
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log.info({ port, database: db.kind, redis: Boolean(redis) }, "listening");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      await closed;
      clearTimeout(grace);
      await db.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
      log.info("stopped");
    })());

  return { url: `http://${host}:${port}`, port, deps, stop };
}
