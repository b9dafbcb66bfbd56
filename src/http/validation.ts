import type { z } from "zod";
import { Invalid } from "../domain/errors.js";

/** Parses with a zod schema; failures become one Invalid naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || where,
    message: issue.message,
  }));
  throw new Invalid(`invalid ${where}: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`, errors);
}
