// OpenTelemetry tracing of a node (docs/metrics.md, "Tracing"): off unless an OTLP endpoint is
// configured. Off, nothing here is loaded but @opentelemetry/api (prom-client loads it anyway):
// startTracing returns undefined and every call site skips on that, so no span is ever made.
// On, the official SDK is imported here, and only here, on demand.
//
// Several nodes may run in one process (the test suites). So nothing is registered as the global
// tracer provider: each node has its own provider, handed to the code that makes spans. Two things
// are process-wide by nature and are shared, counted by the nodes tracing:
// - the context manager (AsyncLocalStorage), through which a span reaches the awaits below it;
// - Prisma's tracing hook (a global Prisma reads): its spans go to the newest node still tracing.
import { context, trace, type Tracer, type TracerProvider } from "@opentelemetry/api";
import type { RequestHandler } from "express";
import type { TracingConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";

export interface Tracing {
  /** This node's tracer: spans of socket events, group commits, broadcasts. */
  tracer: Tracer;
  /** Express middleware: a server span per HTTP request, in which the request is handled. */
  httpSpans: RequestHandler;
  /** `db` with a client span around each statement of its pg pools (Prisma's are traced by Prisma). */
  traceDatabase(db: Database): Database;
  /** Exports the spans still buffered, then stops (bounded: a drain must end in time). */
  shutdown(): Promise<void>;
}

// A drain has 10 s in all (PROTOCOL); an unreachable collector must not hold it longer than this.
const SHUTDOWN_TIMEOUT_MS = 2_000;
// Prisma's own spans that only restate their parent's time: left out to keep traces lean.
const PRISMA_IGNORED_SPANS = ["prisma:client:serialize"];

/** The providers of the nodes tracing in this process, newest last. */
const tracing: TracerProvider[] = [];
let stopShared: (() => void) | undefined;

/** Starts the SDK for one node when `config` is set (an OTLP endpoint is configured); undefined otherwise. */
export async function startTracing(config: TracingConfig | undefined, nodeId: string, log: Logger): Promise<Tracing | undefined> {
  if (!config) return undefined;
  const [{ AsyncLocalStorageContextManager }, sdk, { resourceFromAttributes }, { W3CTraceContextPropagator }, semconv, exporters, { PrismaInstrumentation }, http, sql] =
    await Promise.all([
      import("@opentelemetry/context-async-hooks"),
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/resources"),
      import("@opentelemetry/core"),
      import("@opentelemetry/semantic-conventions"),
      config.protocol === "http/json" ? import("@opentelemetry/exporter-trace-otlp-http") : import("@opentelemetry/exporter-trace-otlp-proto"),
      import("@prisma/instrumentation"),
      import("./http-spans.js"),
      import("./traced-sql.js"),
    ]);

  const { ParentBasedSampler, TraceIdRatioBasedSampler, AlwaysOnSampler, AlwaysOffSampler } = sdk;
  const ratio = new TraceIdRatioBasedSampler(config.sampler.ratio);
  const root = { always_on: new AlwaysOnSampler(), always_off: new AlwaysOffSampler(), traceidratio: ratio }[config.sampler.root];
  const exporter = new exporters.OTLPTraceExporter({ url: config.endpoint, headers: config.headers, timeoutMillis: config.timeoutMs });
  const provider = new sdk.BasicTracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      [semconv.ATTR_SERVICE_NAME]: config.serviceName,
      [semconv.ATTR_SERVICE_INSTANCE_ID]: nodeId,
    }),
    sampler: config.sampler.parentBased ? new ParentBasedSampler({ root }) : root,
    spanProcessors: [new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: config.scheduleDelayMs })],
  });

  if (tracing.length === 0) {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    // Prisma asks this provider for its tracer at each span: it follows the newest node tracing
    // (the API's no-op one once the last is shutting down).
    const newest: TracerProvider = { getTracer: (...args) => (tracing.at(-1) ?? trace.getTracerProvider()).getTracer(...args) };
    const prisma = new PrismaInstrumentation({ enabled: false, ignoreSpanTypes: PRISMA_IGNORED_SPANS });
    prisma.setTracerProvider(newest);
    // Sets Prisma's global hook only: Prisma's instrumentation patches no module, so it needs no
    // loader flag under ESM, and it works with driver adapters (spans down to prisma:client:db_query).
    prisma.enable();
    stopShared = () => {
      prisma.disable();
      // Unregisters and disables the AsyncLocalStorage manager: an untraced process pays nothing for it.
      context.disable();
    };
  }
  tracing.push(provider);
  const tracer = provider.getTracer("chat-backend");
  log.info({ endpoint: config.endpoint, protocol: config.protocol, sampler: config.sampler }, "tracing on: spans go to the OTLP endpoint");

  let stopped: Promise<void> | undefined;
  return {
    tracer,
    httpSpans: http.httpSpans(tracer, new W3CTraceContextPropagator()),
    traceDatabase: (db) => ({
      ...db,
      // On PGlite `sql` goes through Prisma, whose spans already cover it.
      sql: db.kind === "postgres" ? sql.tracedSql(db.sql, tracer, "plain sql") : db.sql,
      messageWrites: db.messageWrites && sql.tracedSql(db.messageWrites, tracer, "message batch write"),
    }),
    shutdown: () =>
      (stopped ??= (async () => {
        // Prisma's spans stop coming here first; the context stays until the spans are out.
        tracing.splice(tracing.indexOf(provider), 1);
        const timeout = new Promise<"timeout">((resolve) => setTimeout(resolve, SHUTDOWN_TIMEOUT_MS, "timeout").unref());
        const flushed = await Promise.race([provider.shutdown().then(() => "ok" as const), timeout]).catch((err: unknown) => {
          log.warn({ err }, "tracing: spans could not be exported at shutdown");
          return "failed" as const;
        });
        if (flushed === "timeout") log.warn({ endpoint: config.endpoint }, "tracing: the OTLP endpoint did not take the last spans in time");
        if (tracing.length === 0) {
          stopShared?.();
          stopShared = undefined;
        }
      })()),
  };
}
