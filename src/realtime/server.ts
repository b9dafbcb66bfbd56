import type http from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import type { Redis } from "ioredis";
import { Server } from "socket.io";
import { authenticate } from "../domain/accounts.js";
import type { AccessTokens } from "../domain/ports/security.js";
import type { Metrics } from "../metrics.js";
import type { ChatServer, ChatSocket, RealtimeDeps } from "./deps.js";
import { userChannel } from "./events.js";
import * as membership from "./room-membership.js";
import * as messages from "./messages.js";
import * as receipts from "./receipts.js";
import * as typing from "./typing.js";
import { coalesceWebSocketWrites } from "./write-coalescing.js";

// PROTOCOL: frames up to 1 MB are accepted, so an oversized text gets an error ack instead of
// a disconnect; the slack covers packet framing around a 1 MB payload.
const MAX_FRAME_BYTES = 1_100_000;

const groups: { register(socket: ChatSocket, deps: RealtimeDeps): void }[] = [membership, messages, receipts, typing];

/** Created before the HTTP server exists so the Broadcaster can be wired into the use cases. */
export function createSocketServer(opts: { redis?: { pub: Redis; sub: Redis }; coalesceWrites: boolean }): ChatServer {
  if (opts.coalesceWrites) coalesceWebSocketWrites();
  const io: ChatServer = new Server({
    path: "/socket.io",
    maxHttpBufferSize: MAX_FRAME_BYTES,
    serveClient: false,
    transports: ["polling", "websocket"],
    cors: { origin: true, credentials: true },
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
    metrics: Metrics;
    /** Handler groups of further features (each registers its events on the socket). */
    extraGroups?: ((socket: ChatSocket) => void)[];
    onConnect?: (s: ChatSocket) => void;
    onDisconnect?: (s: ChatSocket) => void;
  },
) {
  io.use((socket, next) => {
    try {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const claims = authenticate(deps, typeof token === "string" ? token : undefined);
      socket.data.userId = claims.userId;
      socket.data.sessionId = claims.sessionId;
      next();
    } catch {
      next(new Error("unauthorized"));
    }
  });

  io.on("connection", (socket) => {
    // The socket is in its user's channel and every handler is registered before this
    // function returns, so a client that sees `connect` can emit at once.
    void socket.join(userChannel(socket.data.userId));
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
