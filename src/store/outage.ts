import { Unavailable, type DomainError } from "../domain/errors.js";

/**
 * Tells a dependency that does not answer (PostgreSQL, Redis, MongoDB) from a bug, so a client
 * gets UNAVAILABLE (503 with Retry-After, or the error ack) and retries, and INTERNAL stays for
 * what is really unexpected (PROTOCOL, hardening). Each door asks this about an error no use case
 * threw on purpose. Matched on the drivers' documented codes and names, anywhere in the error's
 * `cause` chain (Prisma wraps the driver adapter's error, which wraps pg's).
 */

// PostgreSQL SQLSTATE classes and codes: 08 connection exception, 53300 too many connections,
// 57P01-57P03 shutdown / crash / cannot connect now.
const PG_OUTAGE = /^(08...|53300|57P0[123])$/;
// Prisma's own: P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 server
// closed the connection, P2024 timed out fetching a connection from the pool.
const PRISMA_OUTAGE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
// Prisma driver adapters' error kinds.
const ADAPTER_OUTAGE = new Set(["DatabaseNotReachable", "ConnectionClosed", "TooManyConnections", "SocketTimeout", "TlsConnectionError"]);
const NET_OUTAGE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// ioredis and the MongoDB driver name their connection failures.
const NAME_OUTAGE = new Set([
  "MaxRetriesPerRequestError",
  "ClusterAllFailedError",
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoNotConnectedError",
  "MongoTopologyClosedError",
]);
// pg-pool and pg say these in words only, and so do a Redis Cluster's shards while one fails over.
const MESSAGE_OUTAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|connect ECONNREFUSED|^CLUSTERDOWN|^TRYAGAIN|Too many Cluster redirections|None of startup nodes is available/i;

const MAX_CAUSES = 8;

function looksLikeOutage(err: unknown): boolean {
  let current = err;
  for (let i = 0; i < MAX_CAUSES && current !== null && typeof current === "object"; i++) {
    const e = current as { code?: unknown; name?: unknown; kind?: unknown; message?: unknown; cause?: unknown; originalCode?: unknown };
    const code = typeof e.code === "string" ? e.code : typeof e.originalCode === "string" ? e.originalCode : undefined;
    if (code && (PG_OUTAGE.test(code) || PRISMA_OUTAGE.has(code) || NET_OUTAGE.has(code))) return true;
    if (typeof e.kind === "string" && ADAPTER_OUTAGE.has(e.kind)) return true;
    if (typeof e.name === "string" && NAME_OUTAGE.has(e.name)) return true;
    if (typeof e.message === "string" && MESSAGE_OUTAGE.test(e.message)) return true;
    current = e.cause;
  }
  return false;
}

/** The domain error an unexpected failure stands for, or undefined for a bug (INTERNAL). */
export function classifyFailure(err: unknown): DomainError | undefined {
  return looksLikeOutage(err) ? new Unavailable("a service this server depends on is not answering: retry shortly") : undefined;
}
