// Client spans around the statements that bypass Prisma (the message batch write, the hottest
// reads: store/database.ts), loaded only when tracing is on (observability/tracing.ts). Prisma's
// own queries are traced by @prisma/instrumentation; these pg pools are not, and pg's
// auto-instrumentation would need a module hook (a loader flag under ESM), process-wide.
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
} from "@opentelemetry/semantic-conventions";
import type { PlainSql } from "../store/database.js";

/** `sql` with a span per statement, named `pg <label>`; statements are parameterised, so their text holds no values. */
export function tracedSql(sql: PlainSql, tracer: Tracer, label: string): PlainSql {
  const name = `pg ${label}`;
  return {
    query: async <T>(text: string, params: unknown[]) => {
      const span = tracer.startSpan(name, {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_DB_SYSTEM_NAME]: "postgresql",
          [ATTR_DB_OPERATION_NAME]: /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? "",
          [ATTR_DB_QUERY_TEXT]: text,
        },
      });
      try {
        return await sql.query<T>(text, params);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === "string") span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, code);
        span.setAttribute(ATTR_ERROR_TYPE, typeof code === "string" ? code : (err as Error).name);
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
  };
}
