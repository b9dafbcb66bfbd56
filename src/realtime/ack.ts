import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from "@opentelemetry/api";
import type { Socket } from "socket.io";
import type { z } from "zod";
import { DomainError, Invalid, type FailureClassifier } from "../domain/errors.js";
import { parseInput, replyMismatch } from "../protocol/parse.js";
import { CLIENT_EVENT_CATALOGUE } from "../protocol/socket-events.js";
import type { AckReply, AckResult, ClientEvent, ClientInput, ClientToServerEvents } from "../protocol/socket-maps.js";
import type { Logger } from "../logger.js";
import type { AckBudget } from "./ack-budget.js";
import type { Inflight } from "./inflight.js";

// The catalogue seen event by event, so that `PAYLOADS[event]` is known to parse to ClientInput<E>
// for a generic E (TypeScript cannot correlate the entries of the literal itself).
const PAYLOADS: { readonly [E in ClientEvent]: { readonly payload: z.ZodType<ClientInput<E>> } } = CLIENT_EVENT_CATALOGUE;

/** Where acked events' time goes (metrics): each phase, then the whole with its outcome. */
export interface EventTiming {
  phase(event: ClientEvent, phase: "validate" | "handler" | "ack", seconds: number): void;
  done(event: ClientEvent, outcome: string, seconds: number): void;
}

export interface AckDeps {
  log: Logger;
  timing?: EventTiming;
  /** Tracing on (observability/tracing.ts): a span per event. Absent: no span, not even a no-op one. */
  tracer?: Tracer;
  inflight: Inflight;
  ackBudget?: AckBudget;
  classify?: FailureClassifier;
  /** Check every success ack against the catalogue's ack schema (CHECK_REPLIES; test runs). */
  checkReplies?: boolean;
}

/**
 * A client event's arguments split into its payload and a reply: the reply reaches the client's
 * ack when it sent one (the last argument, if a function), and never throws out of here.
 */
export function ackOf<R>(args: readonly unknown[], log: Logger, event: string): { payload: unknown; reply: (r: R) => void } {
  const last = args.at(-1);
  const ack = typeof last === "function" ? (last as (reply: R) => void) : undefined;
  return {
    payload: ack ? args.slice(0, -1)[0] : args[0],
    reply: (r) => {
      try {
        ack?.(r);
      } catch (err) {
        log.warn({ err, event }, "ack failed");
      }
    },
  };
}

/**
 * Wraps one event handler: parse the payload with the event's schema from the catalogue, run the
 * use case, ack. `run` gets the parsed payload and must return the ack's fields as the catalogue
 * declares them (checked at compile time). Nothing a client sends can throw out of here, so a bad
 * payload never costs the connection or the process.
 *
 * The listener it returns has the event's type (so `socket.on` with another event's name fails to
 * compile) but takes `unknown` arguments on purpose: a client may send anything, in any number,
 * with or without an ack callback; only the parse step decides what the payload is.
 */
export function acked<E extends ClientEvent>(socket: Socket, deps: AckDeps, event: E, run: (input: ClientInput<E>) => Promise<AckResult<E>>): ClientToServerEvents[E] {
  // Looked up once per socket and event, not per call.
  const schema = PAYLOADS[event].payload;
  const ackSchema = CLIENT_EVENT_CATALOGUE[event].ack;
  return (...args: unknown[]) => {
    const log = deps.log;
    const timing = deps.timing;
    const start = timing ? performance.now() : 0;
    const span = deps.tracer && eventSpan(deps.tracer, socket, event);
    const { payload, reply: send } = ackOf<AckReply<E>>(args, log, event);
    let handled = start;
    // Every answer goes through here, so each event is timed once, whatever its outcome.
    const reply = (r: AckReply<E>) => {
      if (!timing && !span) return send(r);
      const before = performance.now();
      send(r);
      if (span) endEventSpan(span, r.ok ? "ok" : r.error.code);
      if (!timing) return;
      const end = performance.now();
      timing.phase(event, "ack", (end - before) / 1000);
      timing.done(event, r.ok ? "ok" : r.error.code, (end - start) / 1000);
    };
    let input: ClientInput<E>;
    try {
      input = parseInput(schema, payload, "payload");
    } catch (err) {
      timing?.phase(event, "validate", (performance.now() - start) / 1000);
      const invalid = err as Invalid;
      reply({ ok: false, error: { code: "VALIDATION", message: invalid.message, errors: invalid.errors } });
      return;
    }
    if (timing) {
      handled = performance.now();
      timing.phase(event, "validate", (handled - start) / 1000);
    }
    // The phases as the span's events: validate ends here, the handler at "handled", the ack at the span's end.
    span?.addEvent("validated");
    const budget = deps.ackBudget;
    if (budget && !budget.tryEnter()) {
      reply({ ok: false, error: { code: "UNAVAILABLE", message: "the server is busy: retry shortly" } });
      return;
    }
    const ran = () => {
      timing?.phase(event, "handler", (performance.now() - handled) / 1000);
      span?.addEvent("handled");
    };
    // Inside the span, so the use case's database calls, group commit and broadcast descend from it.
    const work = span ? context.with(trace.setSpan(ROOT_CONTEXT, span), () => run(input)) : run(input);
    void deps.inflight.track(work).finally(() => budget?.leave()).then(
      (result) => {
        ran();
        const mismatch = deps.checkReplies ? replyMismatch(ackSchema, result) : undefined;
        if (mismatch === undefined) return reply({ ok: true, ...result });
        log.error({ event, mismatch }, "reply check: ack does not match its schema");
        reply({ ok: false, error: { code: "INTERNAL", message: `reply check: ${event} ack does not match its schema: ${mismatch}` } });
      },
      (err: unknown) => {
        ran();
        const known = err instanceof DomainError ? err : deps.classify?.(err);
        if (known) {
          if (known !== err) log.warn({ err, event }, "dependency unavailable");
          // A use case's VALIDATION names its fields as the parse step's does, on both doors.
          reply({ ok: false, error: { code: known.code, message: known.message, ...(known instanceof Invalid ? { errors: known.errors } : {}) } });
          return;
        }
        log.error({ err, event, userId: socket.data.userId }, "socket handler failed");
        span?.recordException(err as Error);
        reply({ ok: false, error: { code: "INTERNAL", message: "internal error" } });
      },
    );
  };
}

/**
 * The span of one client event, named `socket <event>`: a trace of its own (a Socket.IO frame
 * carries no trace context, and whatever context the socket's I/O runs in is not the event's).
 */
function eventSpan(tracer: Tracer, socket: Socket, event: string): Span {
  return tracer.startSpan(
    `socket ${event}`,
    { kind: SpanKind.SERVER, root: true, attributes: { "socketio.event": event, "socketio.namespace": socket.nsp.name } },
  );
}

/** Ends an event's span with its outcome; only the server's failures mark it as an error, as 5xx do for HTTP. */
function endEventSpan(span: Span, outcome: string): void {
  span.setAttribute("chat.outcome", outcome);
  if (outcome === "INTERNAL" || outcome === "UNAVAILABLE") span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  span.end();
}
