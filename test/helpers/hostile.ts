// Pieces shared by the hostile-input sweeps (test/http/hostile-sweep.test.ts and
// test/realtime/hostile-sweep.test.ts): bad access tokens, and a node log the sweeps can read back
// so a failing case names the server error behind it.
import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import { CLUSTER_JWT_SECRET, startTestCluster, type TestNode } from "./nodes.js";
import { useNodes } from "./suite.js";

/** The NUL character: no text field of any door accepts it (PROTOCOL.md, "Hardening"). */
export const NUL = "\u0000";

const ISSUER = "chat-backend";
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The claims of a real access token (the session it belongs to), to forge tokens that look like it. */
function claimsOf(accessToken: string): { sub: string; sid: string } {
  const decoded = jwt.decode(accessToken);
  if (!decoded || typeof decoded === "string" || typeof decoded.sub !== "string" || typeof decoded.sid !== "string") {
    throw new Error("not an access token of ours");
  }
  return { sub: decoded.sub, sid: decoded.sid };
}

/**
 * Tokens a client must never get in with (each gets 401 UNAUTHORIZED on REST and `unauthorized`
 * in the handshake). All but `garbage` have the shape of a real token; the first three carry the
 * claims of a real, live session.
 */
export function badTokens(realAccessToken: string): Record<string, string> {
  const { sub, sid } = claimsOf(realAccessToken);
  const now = Math.floor(Date.now() / 1000);
  return {
    // Right claims, signed with a key that is not the server's.
    "forged token (wrong signature)": jwt.sign({ sid }, "not-the-server-secret-0123456789abcdef", { algorithm: "HS256", subject: sub, issuer: ISSUER, expiresIn: 900 }),
    // Right claims, unsigned.
    "alg:none token": `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sid, sub, iss: ISSUER, iat: now, exp: now + 900 })}.`,
    // Signed by the server's key, expired half an hour ago.
    "expired token": jwt.sign({ sid, sub, iss: ISSUER, iat: now - 3600, exp: now - 1800 }, CLUSTER_JWT_SECRET, { algorithm: "HS256" }),
    // Signed by the server's key, for a user and session that do not exist (a deleted account's).
    "token of a user that does not exist": jwt.sign({ sid: randomUUID() }, CLUSTER_JWT_SECRET, { algorithm: "HS256", subject: randomUUID(), issuer: ISSUER, expiresIn: 900 }),
    "garbage token": "not-a-jwt",
  };
}

export interface LogLine {
  level: number;
  time: number;
  msg?: string;
  reqId?: string;
  event?: string;
  err?: { type?: string; message?: string; code?: string; stack?: string };
  [key: string]: unknown;
}

/**
 * A pino destination keeping every line a node logs (warn and above, see `SWEEP_LOG_ENV`), so a
 * failing case can quote the server's error; also echoed to stdout when TEST_LOG_LEVEL is set.
 */
export class CapturedLog {
  readonly lines: LogLine[] = [];
  private readonly echo = Boolean(process.env.TEST_LOG_LEVEL);

  write(chunk: string) {
    if (this.echo) process.stdout.write(chunk);
    for (const text of chunk.split("\n")) {
      if (!text.trim()) continue;
      try {
        this.lines.push(JSON.parse(text) as LogLine);
      } catch {
        // not JSON: nothing to quote
      }
    }
  }

  /** The error lines (pino level >= 50) logged for one request id. */
  errorsFor(reqId: string): LogLine[] {
    return this.lines.filter((l) => l.reqId === reqId && l.level >= 50);
  }

  /** The warn and error lines logged since `since` (a count of lines, from `mark()`). */
  since(mark: number): LogLine[] {
    return this.lines.slice(mark).filter((l) => l.level >= 40);
  }

  mark(): number {
    return this.lines.length;
  }
}

/** Node env for a sweep: log warnings and errors (to a CapturedLog) whatever TEST_LOG_LEVEL says. */
export const SWEEP_LOG_ENV = { LOG_LEVEL: process.env.TEST_LOG_LEVEL || "warn" };

/**
 * A sweep's two nodes of one cluster, started before the suite and stopped after it, each logging
 * to a CapturedLog of its own (`logs[i]` is `nodes[i]`'s; startTestCluster takes one stream).
 */
export function useSweepCluster() {
  const logs: CapturedLog[] = [];
  const suite = useNodes(
    2,
    async () => {
      const nodes: TestNode[] = [];
      for (let i = 0; i < 2; i++) {
        const log = new CapturedLog();
        logs.push(log);
        nodes.push(...(await startTestCluster(1, { env: SWEEP_LOG_ENV, logStream: log })));
      }
      return nodes;
    },
    { startTimeoutMs: 120_000 },
  );
  return { ...suite, logs };
}

/** The database's own error inside a Prisma error's `meta` ("PostgreSQL 22021: invalid byte sequence…"). */
function driverCause(meta: unknown): string {
  const found: Record<string, unknown> = {};
  const walk = (v: unknown, depth: number) => {
    if (!v || typeof v !== "object" || depth > 5) return;
    for (const [k, x] of Object.entries(v)) {
      if ((k === "originalCode" || k === "originalMessage" || k === "kind") && !(k in found)) found[k] = x;
      walk(x, depth + 1);
    }
  };
  walk(meta, 0);
  if (found.originalCode || found.originalMessage) return `${String(found.kind ?? "driver")} ${String(found.originalCode ?? "")}: ${String(found.originalMessage ?? "")}`;
  const text = JSON.stringify(meta);
  return text.length > 150 ? `${text.slice(0, 150)}…` : text;
}

/**
 * One log line, short enough for an assertion message: its message, the error's class and code,
 * the driver's own cause where the error carries one (Prisma's `meta`: PostgreSQL's SQLSTATE such
 * as 22021 for a NUL byte), and the first and last lines of the error message.
 */
export function quote(line: LogLine): string {
  const err = line.err as (LogLine["err"] & { meta?: unknown }) | undefined;
  const lines = (err?.message ?? "").split("\n").map((l) => l.trim()).filter(Boolean);
  const meta = err?.meta ? driverCause(err.meta) : "";
  const parts = [line.msg ?? "", err?.type ?? "", err?.code ? `code ${err.code}` : "", meta, lines[0] ?? "", lines.length > 1 ? `… ${lines.at(-1)}` : ""];
  const text = parts.filter(Boolean).join(" | ");
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
