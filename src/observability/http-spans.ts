// A server span per HTTP request, loaded only when tracing is on (observability/tracing.ts).
// Written here rather than taken from @opentelemetry/instrumentation-http: that one patches
// node:http through a module hook, which under ESM needs `node --import` of a loader, and it is
// process-wide, where a test process runs several nodes that each have their own tracer.
import { context, defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type TextMapPropagator, type Tracer } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from "@opentelemetry/semantic-conventions";
import type { RequestHandler } from "express";

// Probes and scrapes, every few seconds from the proxy and Prometheus: traces of them are noise.
const UNTRACED = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * Starts the request's span (continuing the caller's trace when it sent a W3C traceparent) and
 * handles the request inside it, so that everything it awaits (Prisma, the group commit, the
 * broadcast) is a descendant. Named by the route template once routing has found it.
 */
export function httpSpans(tracer: Tracer, propagator: TextMapPropagator): RequestHandler {
  return (req, res, next) => {
    const path = req.originalUrl.split("?")[0]!;
    if (UNTRACED.has(path)) return next();
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = tracer.startSpan(
      req.method,
      // The path only: query strings are left out, as in the logs.
      { kind: SpanKind.SERVER, attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: path, [ATTR_URL_SCHEME]: req.protocol } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    // The body arrives in the request's 'data' events, which run in the socket's context, not this
    // one: bound, their listeners (the JSON parser, then the routes) run inside the span.
    context.bind(active, req);
    context.bind(active, res);
    res.once("close", () => {
      // The template set by defineRoute, as the metrics label it; never the raw path (ids).
      const route: string | undefined = res.locals.route ?? (req.route?.path as string | undefined);
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
      }
      if (!res.writableFinished) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: "the connection closed before the response was complete" });
      } else {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        // A server span is in error for 5xx only: a 4xx is the client's (semantic conventions).
        if (res.statusCode >= 500) {
          span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      span.end();
    });
    context.with(active, next);
  };
}
