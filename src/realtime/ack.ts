import type { Socket } from "socket.io";
import type { z } from "zod";
import { DomainError, type FailureClassifier, type FieldError, type Invalid } from "../domain/errors.js";
import { parseInput } from "../protocol/parse.js";
import type { Logger } from "../logger.js";
import type { AckBudget } from "./ack-budget.js";
import type { Inflight } from "./inflight.js";

type Reply = ({ ok: true } & object) | { ok: false; error: { code: string; message: string; errors?: FieldError[] } };

/**
 * Wraps one event handler: parse the payload, run the use case, ack. Nothing a client sends can
 * throw out of here, so a bad payload never costs the connection or the process.
 */
export function acked<S extends z.ZodType>(
  socket: Socket,
  deps: { log: Logger; inflight: Inflight; ackBudget?: AckBudget; classify?: FailureClassifier },
  event: string,
  schema: S,
  run: (input: z.output<S>) => Promise<object>,
): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    const last = args.at(-1);
    const ack = typeof last === "function" ? (last as (reply: Reply) => void) : undefined;
    const payload = ack ? args.slice(0, -1)[0] : args[0];
    const log = deps.log;
    const reply = (r: Reply) => {
      try {
        ack?.(r);
      } catch (err) {
        log.warn({ err, event }, "ack failed");
      }
    };
    let input: z.output<S>;
    try {
      input = parseInput(schema, payload, "payload");
    } catch (err) {
      const invalid = err as Invalid;
      reply({ ok: false, error: { code: "VALIDATION", message: invalid.message, errors: invalid.errors } });
      return;
    }
    const budget = deps.ackBudget;
    if (budget && !budget.tryEnter()) {
      reply({ ok: false, error: { code: "UNAVAILABLE", message: "the server is busy: retry shortly" } });
      return;
    }
    void deps.inflight.track(run(input)).finally(() => budget?.leave()).then(
      (result) => reply({ ok: true, ...result }),
      (err: unknown) => {
        const known = err instanceof DomainError ? err : deps.classify?.(err);
        if (known) {
          if (known !== err) log.warn({ err, event }, "dependency unavailable");
          reply({ ok: false, error: { code: known.code, message: known.message } });
          return;
        }
        log.error({ err, event, userId: socket.data.userId }, "socket handler failed");
        reply({ ok: false, error: { code: "INTERNAL", message: "internal error" } });
      },
    );
  };
}
