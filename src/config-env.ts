// The environment's schema: what each variable may be (src/config.ts reads it once, at start,
// and turns it into the Config the node runs with).
import { z } from "zod";

// An empty variable counts as absent (PROTOCOL.md, operating contract).
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && v.trim() === "" ? undefined : v), schema.optional());

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const url = (...protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`);

// A comma-separated list of URLs with one of the given schemes (ICE server URLs have no "//").
const urlList = (...schemes: string[]) =>
  z
    .string()
    .transform((v) => v.split(",").map((u) => u.trim()).filter(Boolean))
    .refine((list) => list.every((u) => schemes.some((s) => u.startsWith(s)) && u.length <= 500), `must be comma-separated ${schemes.join(" or ")} URLs`);

// Browser origins admitted cross-site, as `scheme://host[:port]` (what a browser sends in Origin).
const originList = z
  .string()
  .transform((v) => v.split(",").map((o) => o.trim()).filter(Boolean))
  .refine(
    (list) =>
      list.every((o) => {
        try {
          return new URL(o).origin === o;
        } catch {
          return false;
        }
      }),
    "must be comma-separated origins such as https://chat.example.com (scheme, host and port only)",
  );

// `key=value,key=value` (OTLP headers, resource attributes), values percent-decoded as the OTel spec says.
const keyValues = z.string().transform((v, ctx) => {
  const out: Record<string, string> = {};
  for (const pair of v.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf("=");
    try {
      if (at <= 0) throw new Error();
      out[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      ctx.addIssue({ code: "custom", message: "must be comma-separated key=value pairs (values percent-encoded)" });
      return z.NEVER;
    }
  }
  return out;
});
// Redis Cluster seeds: `host:port,host:port` (any reachable nodes; the rest is discovered).
const redisSeeds = z
  .string()
  .transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean))
  .refine((list) => list.length > 0 && list.every((s) => /^[A-Za-z0-9.-]{1,253}:\d{1,5}$/.test(s) && Number(s.split(":")[1]) > 0 && Number(s.split(":")[1]) < 65536), "must be comma-separated host:port seeds of a Redis Cluster");
const otlpProtocol = z
  .enum(["http/protobuf", "http/json", "grpc"])
  .refine((p) => p !== "grpc", "grpc is not supported: use http/protobuf or http/json (a collector's port 4318)");
const SAMPLERS = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;

export const envSchema = z.object({
  PORT: optional(int(0, 65535)),
  HOST: optional(z.string()),
  DATA_DIR: optional(z.string()),
  DATABASE_URL: optional(url("postgres:", "postgresql:")),
  DATABASE_POOL_SIZE: optional(int(1, 200)),
  REDIS_URL: optional(url("redis:", "rediss:")),
  REDIS_CLUSTER_NODES: optional(redisSeeds),
  MONGO_URL: optional(url("mongodb:", "mongodb+srv:")),
  JWT_SECRET: optional(z.string().min(32, "must be at least 32 characters")),
  LOG_LEVEL: optional(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])),
  NODE_ID: optional(z.string()),
  SMTP_URL: optional(url("smtp:", "smtps:")),
  MAIL_FROM: optional(z.string()),
  BCRYPT_COST: optional(int(4, 15)),
  ACCESS_TOKEN_TTL_SECONDS: optional(int(10, 86_400)),
  REFRESH_TOKEN_TTL_DAYS: optional(int(1, 365)),
  RATE_LIMIT_AUTH_PER_MINUTE: optional(int(60, 1_000_000)),
  RATE_LIMIT_LOGIN_FAILURES: optional(int(5, 1_000_000)),
  RATE_LIMIT_USER_PER_SECOND: optional(int(50, 1_000_000)),
  RATE_LIMIT_SOCKET_SENDS: optional(int(100, 1_000_000)),
  RATE_LIMIT_SOCKET_EVENTS: optional(int(10, 1_000_000)),
  CORS_ORIGINS: optional(originList),
  CHECK_REPLIES: optional(z.enum(["true", "false"])),
  METRICS_PHASES: optional(z.enum(["true", "false"])),
  SOCKET_HANDLERS_MAX: optional(int(100, 1_000_000)),
  SOCKET_COALESCE_WRITES: optional(z.enum(["true", "false"])),
  SHUTDOWN_GRACE_MS: optional(int(100, 60_000)),
  PRESENCE_TTL_MS: optional(int(1_000, 600_000)),
  TRUST_PROXY: optional(z.string().max(500)),
  ATTACHMENT_MAX_BYTES: optional(int(1024, 1024 ** 3)),
  TRACK_MAX_BYTES: optional(int(1024, 1024 ** 3)),
  TRANSCODE_CONCURRENCY: optional(int(1, 16)),
  TRANSCODE_LEASE_MS: optional(int(1_000, 3_600_000)),
  EXPORT_LEASE_MS: optional(int(1_000, 3_600_000)),
  STUN_URLS: optional(urlList("stun:", "stuns:")),
  TURN_URLS: optional(urlList("turn:", "turns:")),
  TURN_SECRET: optional(z.string().min(16, "must be at least 16 characters")),
  TURN_TTL_SECONDS: optional(int(60, 7 * 86_400)),
  VAPID_PUBLIC_KEY: optional(z.string()),
  VAPID_PRIVATE_KEY: optional(z.string()),
  VAPID_SUBJECT: optional(url("mailto:", "https:")),
  PUSH_COALESCE_MS: optional(int(0, 600_000)),
  PUSH_ALLOW_HTTP: optional(z.enum(["true", "false"])),
  PUSH_ALLOW_PRIVATE: optional(z.enum(["true", "false"])),
  WEBHOOK_ALLOW_HTTP: optional(z.enum(["true", "false"])),
  WEBHOOK_ALLOW_PRIVATE: optional(z.enum(["true", "false"])),
  WEBHOOK_RETRY_BASE_MS: optional(int(10, 3_600_000)),
  WEBHOOK_INCOMING_PER_MINUTE: optional(int(1, 1_000_000)),
  // OpenTelemetry's standard variables, the ones tracing honours (docs/metrics.md, "Tracing").
  OTEL_SDK_DISABLED: optional(z.enum(["true", "false"])),
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(url("http:", "https:")),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(url("http:", "https:")),
  OTEL_EXPORTER_OTLP_PROTOCOL: optional(otlpProtocol),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: optional(otlpProtocol),
  OTEL_EXPORTER_OTLP_HEADERS: optional(keyValues),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: optional(keyValues),
  OTEL_EXPORTER_OTLP_TIMEOUT: optional(int(1, 600_000)),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: optional(int(1, 600_000)),
  OTEL_SERVICE_NAME: optional(z.string().max(200)),
  OTEL_RESOURCE_ATTRIBUTES: optional(keyValues),
  OTEL_TRACES_SAMPLER: optional(z.enum(SAMPLERS)),
  OTEL_TRACES_SAMPLER_ARG: optional(z.coerce.number().min(0).max(1)),
  OTEL_BSP_SCHEDULE_DELAY: optional(int(0, 600_000)),
})
  .refine((e) => !(e.REDIS_URL && e.REDIS_CLUSTER_NODES), { path: ["REDIS_CLUSTER_NODES"], message: "and REDIS_URL exclude each other: one Redis, or one Redis Cluster" })
  .refine((e) => !e.TURN_URLS || e.TURN_SECRET, { path: ["TURN_SECRET"], message: "is required with TURN_URLS (coturn's static-auth-secret)" })
  .refine((e) => !e.VAPID_PUBLIC_KEY === !e.VAPID_PRIVATE_KEY, { path: ["VAPID_PRIVATE_KEY"], message: "VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY go together" });

export type Env = z.output<typeof envSchema>;
