/**
 * The one parse step of both doors: an HTTP route's path, query and body, and a socket event's
 * payload, go through here with their zod schema, so the same bad input gets the same coded
 * error (VALIDATION, naming every bad field) whichever door it came through.
 */
import type { z } from "zod";
import { Invalid, type FieldError } from "../domain/errors.js";
import { nulFields } from "./no-nul.js";

// An error names what was wrong, it does not echo the input: a path made of a client's keys (a
// 0.9 MB room id in `sync`) is cut, and so are the number of errors and the message.
const PATH_MAX = 200;
const ERRORS_MAX = 20;
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

function invalid(where: string, all: FieldError[]): Invalid {
  const errors = all.slice(0, ERRORS_MAX).map((e) => ({ path: cut(e.path, PATH_MAX), message: cut(e.message, PATH_MAX) }));
  return new Invalid(`invalid ${where}: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`, errors);
}

/** Refuses U+0000 anywhere in an input that has no schema of its own (e.g. multipart fields). */
export function refuseNul(value: unknown, where: string): void {
  const nul = nulFields(value, where);
  if (nul.length) throw invalid(where, nul);
}

/**
 * A reply the server is about to send, checked against the schema the contract documents for it
 * (test runs: CHECK_REPLIES). A mismatch is a bug of ours: it throws, so the suite fails with the
 * fields named instead of a client meeting the drift. Undefined when it matches.
 */
export function replyMismatch(schema: z.ZodType, value: unknown): string | undefined {
  const result = schema.safeParse(value);
  if (result.success) return undefined;
  return result.error.issues.map((i) => `${i.path.map(String).join(".") || "(reply)"}: ${i.message}`).join("; ");
}

/** Parses with a zod schema; failures become one Invalid naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  refuseNul(value, where);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // A strict object names every key it refused, not just the object.
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...at, key].join("."), message: "is not a known field" }));
    return [{ path: at.join(".") || where, message: issue.message }];
  });
  throw invalid(where, errors);
}
