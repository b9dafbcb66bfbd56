import { Conflict, NotFound } from "../domain/errors.js";

function codeOf(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

/** Prisma's codes, not its meta (absent on the driver-adapter path): P2002 unique, P2025 missing record. */
export function isUniqueViolation(err: unknown): boolean {
  return codeOf(err) === "P2002";
}

export function mapPrismaError(err: unknown, messages: { conflict?: string; notFound?: string }): never {
  const code = codeOf(err);
  if (code === "P2002" && messages.conflict) throw new Conflict(messages.conflict);
  if (code === "P2025" && messages.notFound) throw new NotFound(messages.notFound);
  throw err;
}
