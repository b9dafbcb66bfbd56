import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import path from "node:path";
import express, { Router, type Express, type RequestHandler } from "express";
import type { FailureClassifier } from "../domain/errors.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { asyncApiDocument } from "../protocol/asyncapi.js";
import { bearerAuth, type BearerAuthDeps } from "./authenticate.js";
import type { Drain } from "./drain.js";
import { problemHandler, sendProblem } from "./problem.js";
import { requestLog } from "./request-log.js";
import { apiCors, noStore, securityHeaders } from "./security-headers.js";
import type { RouteKit, RouteRegistration } from "./route.js";

export interface Readiness {
  name: string;
  check(): Promise<void>;
  /** host:port of the Redis node this checks: listed in the body's redis.unreachable when it fails. */
  redisNode?: string;
  /** A Redis Cluster: the masters its last check reached and those it did not (host:port), named in the body. */
  redisMasters?: () => { reached: string[]; unreachable: string[] };
}

/** What /readyz names besides status (PROTOCOL, operating contract), decided by the composition root. */
export interface ReadyReport {
  messageStore: "postgres" | "mongo";
  redisMode: "none" | "single" | "cluster";
}

export interface AppOptions {
  log: Logger;
  metrics: Metrics;
  readiness: Readiness[];
  /** Absent (tests building a bare app): /readyz answers status alone. */
  readyReport?: ReadyReport;
  trustProxy: string;
  /** Browser origins admitted cross-site (CORS_ORIGINS); the node's own needs none. */
  corsOrigins?: readonly string[];
  /** Tells a dependency outage (UNAVAILABLE) from a bug (INTERNAL). */
  classify?: FailureClassifier;
  /** Check every JSON reply against its documented schema (test runs). */
  checkReplies?: boolean;
  inflight?: RouteKit["inflight"];
  /** The built browser client, served at `/` when present. */
  staticDir?: string;
  /** The session check and per-user limit of every route that requires a login (http/authenticate.ts). */
  auth: BearerAuthDeps;
  /** Every feature's routes, registered under /api in this order against one kit. */
  routes: readonly RouteRegistration[];
  /** Set by SIGTERM: /readyz answers 503 while the node drains. */
  drain?: Drain;
  /** Tracing on: a server span per request (observability/http-spans.ts), mounted first. */
  httpSpans?: RequestHandler;
}

const READY_TIMEOUT_MS = 2_000;

export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  // Express would SHA-1 every JSON body for an ETag: 2% of CPU on a 25 KB friends list, for
  // conditional GETs no API client makes (the static client files keep theirs).
  app.set("etag", false);
  app.set("trust proxy", opts.trustProxy);
  if (opts.httpSpans) app.use(opts.httpSpans);
  app.use(requestLog(opts.log, opts.metrics));
  app.use(securityHeaders());

  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  app.get("/readyz", async (req, res) => {
    opts.drain?.noteCheck(req.get("x-haproxy-server-state"));
    const results = await Promise.all(
      opts.readiness.map(async (r) => {
        try {
          await Promise.race([r.check(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), READY_TIMEOUT_MS).unref())]);
          return null;
        } catch {
          return r.name;
        }
      }),
    );
    const failing = results.filter((n): n is string => n !== null);
    const masters = opts.readiness.find((r) => r.redisMasters)?.redisMasters?.();
    const report = opts.readyReport && {
      messageStore: opts.readyReport.messageStore,
      redis: {
        mode: opts.readyReport.redisMode,
        ...(masters ? { masters: masters.reached } : {}),
        unreachable: [...opts.readiness.flatMap((r, i) => (r.redisNode && results[i] !== null ? [r.redisNode] : [])), ...(masters?.unreachable ?? [])],
      },
    };
    // A SIGTERMed node is not ready whatever its dependencies say: the proxy must take it out.
    if (opts.drain?.active) res.status(503).json({ status: "draining", failing, ...report });
    else if (failing.length) res.status(503).json({ status: "unavailable", failing, ...report });
    else res.json({ status: "ok", ...report });
  });
  app.get("/metrics", async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });

  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  // "Bot" is no registered HTTP scheme, so it is described as the header it is (as Discord's API does).
  registry.registerComponent("securitySchemes", "botAuth", {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "`Bot <token>`: a bot's token (POST /api/bots), acting as the bot's user on every route that takes a user's access token.",
  });
  const api = Router();
  api.use(apiCors(opts.corsOrigins ?? []), noStore);
  api.use(express.json({ limit: "1mb" }));
  const kit: RouteKit = { router: api, registry, authenticate: bearerAuth(opts.auth), inflight: opts.inflight, checkReplies: opts.checkReplies };
  for (const register of opts.routes) register(kit);

  const openapi = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: { title: "Chat backend API", version: "0.1.0", description: "See README.md and shared/PROTOCOL.md for the socket events and guarantees." },
  });
  api.get("/openapi.json", (_req, res) => void res.json(openapi));
  api.get("/asyncapi.json", (_req, res) => void res.json(asyncApiDocument()));
  api.use((req, res) => sendProblem(res, "NOT_FOUND", `no route ${req.method} ${req.baseUrl}${req.path}`));
  app.use("/api", api);

  if (opts.staticDir) {
    // Hashed asset names never change content: cache them for good. index.html names the current
    // assets, so it must be revalidated, or a redeploy leaves browsers on deleted files.
    app.use(
      express.static(opts.staticDir, {
        index: "index.html",
        setHeaders: (res, file) => {
          res.setHeader("Cache-Control", file.includes(`${path.sep}assets${path.sep}`) ? "public, max-age=31536000, immutable" : "no-cache");
        },
      }),
    );
  }

  app.use((req, res) => sendProblem(res, "NOT_FOUND", `no route ${req.method} ${req.path}`));
  app.use(problemHandler(opts.log, opts.classify));
  return app;
}
