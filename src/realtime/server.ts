import type http from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Cluster, Redis } from "ioredis";
import { Server } from "socket.io";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";
import { admitSessions, type SessionAdmission } from "./accounts.js";
import type { ChatServer, SocketGroup } from "./deps.js";
import { sessionChannel, userChannel } from "./events.js";
import { guardEvents } from "./event-guard.js";
import { createShardedRoomsAdapter } from "./sharded-adapter.js";
import { coalesceWebSocketWrites } from "./write-coalescing.js";

// PROTOCOL: frames up to 1 MB are accepted, so an oversized text gets an error ack instead of
// a disconnect; the slack covers packet framing around a 1 MB payload.
const MAX_FRAME_BYTES = 1_100_000;

// message:send spends its own, larger burst (socketSends) inside its handler.
const UNGUARDED_EVENTS: ReadonlySet<string> = new Set(["message:send"]);

/**
 * A browser's handshake is admitted from the node's own origin and from `corsOrigins` only
 * (PROTOCOL: one CORS_ORIGINS for both doors). Clients that are not browsers send no Origin.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, corsOrigins: readonly string[]): boolean {
  if (!origin) return true;
  if (corsOrigins.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Created before the HTTP server exists so the Broadcaster can be wired into the use cases. */
export function createSocketServer(opts: { redis?: { pub: Redis | Cluster; sub: Redis | Cluster; sharded?: boolean }; coalesceWrites: boolean; corsOrigins: readonly string[] }): ChatServer {
  if (opts.coalesceWrites) coalesceWebSocketWrites();
  const io: ChatServer = new Server({
    path: "/socket.io",
    maxHttpBufferSize: MAX_FRAME_BYTES,
    serveClient: false,
    transports: ["polling", "websocket"],
    // No CORS headers unless origins are configured: the served client is same-origin.
    ...(opts.corsOrigins.length ? { cors: { origin: [...opts.corsOrigins], credentials: true } } : {}),
    // CORS only governs what a page may read; a WebSocket is not subject to it, so the origin
    // is checked here for every transport.
    allowRequest: (req, callback) => callback(null, originAllowed(req.headers.origin, req.headers.host, opts.corsOrigins)),
  });
  // A Redis Cluster: sharded pub/sub, a node receives only its own rooms' broadcasts (sharded-adapter.ts).
  if (opts.redis?.sharded) io.adapter(createShardedRoomsAdapter(opts.redis.pub, opts.redis.sub, { channelPrefix: "chat" }));
  else if (opts.redis) io.adapter(createAdapter(opts.redis.pub, opts.redis.sub, { key: "chat" }));
  return io;
}

export interface RealtimeOptions {
  /** The session check of every handshake, and where revocations come from (realtime/accounts.ts). */
  auth: SessionAdmission;
  /** Every feature's handler group, registered on each socket in this order. */
  groups: readonly SocketGroup[];
  /** Every client event but message:send, per socket and event (message:send has its own burst). */
  socketEvents: RateLimiter;
  metrics: Metrics;
  log: Logger;
}

/** Authenticates handshakes and registers the handler groups it is given before `connect` reaches the client. */
export function startRealtime(io: ChatServer, server: http.Server, opts: RealtimeOptions) {
  admitSessions(io, opts.auth);
  io.on("connection", (socket) => {
    // The socket is in its user's and its session's channels and every handler is registered
    // before this function returns, so a client that sees `connect` can emit at once.
    void socket.join([userChannel(socket.data.userId), sessionChannel(socket.data.sessionId)]);
    guardEvents(socket, { socketEvents: opts.socketEvents, exempt: UNGUARDED_EVENTS, log: opts.log });
    for (const register of opts.groups) register(socket);
    opts.metrics.socketsConnected.inc();
    socket.on("disconnect", () => opts.metrics.socketsConnected.dec());
  });
  io.attach(server);
}
