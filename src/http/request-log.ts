import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

const INCOMING_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** One log line per request, with a request id echoed back; latency into the route histogram. */
export function requestLog(log: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const header = req.get("x-request-id");
    const reqId = header && INCOMING_ID.test(header) ? header : randomUUID();
    res.setHeader("X-Request-Id", reqId);
    res.locals.log = log.child({ reqId });
    const started = process.hrtime.bigint();
    const path = req.originalUrl.split("?")[0];
    res.on("finish", () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // The route template (set by defineRoute), never the raw path, so ids do not explode the label set.
      const route: string = res.locals.route ?? (req.route?.path as string | undefined) ?? "unmatched";
      metrics.httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      // The path only: query strings are left out of logs.
      res.locals.log.info({ method: req.method, path, route, status: res.statusCode, ms: Math.round(seconds * 10_000) / 10 }, "request");
    });
    next();
  };
}
