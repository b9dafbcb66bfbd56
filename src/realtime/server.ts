import type http from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import { authenticate } from "../domain/accounts.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { AccessTokens } from "../domain/ports/security.js";
import type { SessionRepository } from "../domain/ports/session-repository.js";
import type { Metrics } from "../metrics.js";
import type { ChatServer, ChatSocket, RealtimeDeps } from "./deps.js";
import { sessionChannel, userChannel } from "./events.js";
import { guardEvents } from "./event-guard.js";
import * as membership from "./room-membership.js";
import * as messages from "./messages.js";
import * as receipts from "./receipts.js";
import * as typing from "./typing.js";
import { coalesceWebSocketWrites } from "./write-coalescing.js";

// PROTOCOL: frames up to 1 MB are accepted, so an oversized text gets an error ack instead of
// a disconnect; the slack covers packet framing around a 1 MB payload.
const MAX_FRAME_BYTES = 1_100_000;

// message:send spends its own, larger burst (socketSends) inside its handler.
const UNGUARDED_EVENTS: ReadonlySet<string> = new Set(["message:send"]);

const groups: { register(socket: ChatSocket, deps: RealtimeDeps): void }[] = [membership, messages, receipts, typing];

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
export function createSocketServer(opts: { redis?: { pub: Redis; sub: Redis }; coalesceWrites: boolean; corsOrigins: readonly string[] }): ChatServer {
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
  if (opts.redis) io.adapter(createAdapter(opts.redis.pub, opts.redis.sub, { key: "chat" }));
  return io;
}

/** Authenticates handshakes and registers every handler group before `connect` reaches the client. */
export function startRealtime(
  io: ChatServer,
  server: http.Server,
  deps: RealtimeDeps & {
    tokens: AccessTokens;
    sessions: SessionRepository;
    /** Every client event but message:send, per socket and event (message:send has socketSends). */
    socketEvents: RateLimiter;
    metrics: Metrics;
    /** Handler groups of further features (each registers its events on the socket). */
    extraGroups?: ((socket: ChatSocket) => void)[];
    onConnect?: (s: ChatSocket) => void;
    onDisconnect?: (s: ChatSocket) => void;
  },
) {
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    authenticate(deps, typeof token === "string" ? token : undefined).then(
      (claims) => {
        socket.data.userId = claims.userId;
        socket.data.sessionId = claims.sessionId;
        next();
      },
      () => next(new Error("unauthorized")),
    );
  });
  // A session revoked on any node (logout, refresh-token reuse) closes its sockets here.
  deps.sessions.onRevoked((ids) => {
    for (const id of ids) io.local.in(sessionChannel(id)).disconnectSockets(true);
  });

  io.on("connection", (socket) => {
    // The socket is in its user's and its session's channels and every handler is registered
    // before this function returns, so a client that sees `connect` can emit at once.
    void socket.join([userChannel(socket.data.userId), sessionChannel(socket.data.sessionId)]);
    guardEvents(socket, { socketEvents: deps.socketEvents, exempt: UNGUARDED_EVENTS, log: deps.log });
    for (const group of groups) group.register(socket, deps);
    for (const register of deps.extraGroups ?? []) register(socket);
    deps.metrics.socketsConnected.inc();
    deps.onConnect?.(socket);
    socket.on("disconnect", () => {
      deps.metrics.socketsConnected.dec();
      void deps.socketSends.reset(socket.id);
      deps.onDisconnect?.(socket);
    });
  });
  io.attach(server);
}
