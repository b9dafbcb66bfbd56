import type { z } from "zod";
import { Invalid } from "../domain/errors.js";

/** Parses with a zod schema; failures become one Invalid naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => {
    const at = issue.path.map(String);
    // A strict object names every key it refused, not just the object.
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => ({ path: [...at, key].join("."), message: "is not a known field" }));
    return [{ path: at.join(".") || where, message: issue.message }];
  });
  throw new Invalid(`invalid ${where}: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`, errors);
}
