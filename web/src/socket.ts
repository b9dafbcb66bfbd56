/**
 * The Socket.IO connection: same origin, path /socket.io. Socket.IO starts on HTTP long-polling
 * and upgrades to WebSocket when it can, so a network that blocks WebSocket still gets live
 * chat. The handshake token comes from a callback, so every reconnect presents a fresh one; an
 * `unauthorized` refusal refreshes the tokens once and tries again.
 */
import { io, type Socket } from "socket.io-client";
import { freshAccessToken, refreshTokens } from "./api.js";
import { getSession } from "./session.js";
import type { ClientToServerEvents, ServerToClientEvents } from "./types.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = "connecting" | "online" | "reconnecting" | "offline";

type EventName = keyof ClientToServerEvents;
type Payload<E extends EventName> = Parameters<ClientToServerEvents[E]>[0];
type Reply<E extends EventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
export type AckOk<E extends EventName> = Extract<Reply<E>, { ok: true }>;

/** A failed acknowledgement (`{ ok: false, error }`), a timeout, or no connection. */
export class AckError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AckError";
  }
  /** True when sending again later may work (no connection, timeout, server busy). */
  get transient(): boolean {
    return ["NOT_CONNECTED", "TIMEOUT", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"].includes(this.code);
  }
}

type Listener = () => void;

export class Connection {
  readonly socket: ChatSocket;
  state: ConnectionState = "connecting";
  transport: "websocket" | "polling" | null = null;
  /** How many times `connect` fired: > 1 means a reconnect (resync needed). */
  connects = 0;
  private readonly listeners = new Set<Listener>();
  private authRetries = 0;
  /** The token the last handshake presented: if it is refused, that one is stale. */
  private handshakeToken: string | undefined;

  constructor() {
    this.socket = io({
      path: "/socket.io",
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      timeout: 10_000,
      auth: (cb) => {
        freshAccessToken()
          .catch(() => getSession()?.accessToken ?? null)
          .then((token) => {
            this.handshakeToken = token ?? undefined;
            cb({ token: token ?? "" });
          });
      },
    });
    const s = this.socket;
    s.on("connect", () => {
      this.connects++;
      this.authRetries = 0;
      this.transport = (s.io.engine?.transport?.name as "websocket" | "polling" | undefined) ?? null;
      this.set("online");
    });
    s.io.on("open", () => {
      s.io.engine.on("upgrade", (t: { name: string }) => {
        this.transport = t.name as "websocket" | "polling";
        this.notify();
      });
    });
    s.on("disconnect", (reason) => {
      this.transport = null;
      // The server closed us (a node draining): reconnect, possibly to another node.
      if (reason === "io server disconnect") setTimeout(() => this.socket.connect(), 500);
      this.set("reconnecting");
    });
    s.on("connect_error", (err) => {
      if (err.message === "unauthorized") {
        // The middleware refused the token: refresh once, then try again (Socket.IO does not
        // retry a middleware refusal on its own).
        if (this.authRetries++ < 2) {
          // A token another request already renewed is reused, not refreshed twice.
          refreshTokens(this.handshakeToken).then(
            (token) => (token ? this.socket.connect() : this.set("offline")),
            () => setTimeout(() => this.socket.connect(), 2_000), // refresh failed (network): try again
          );
        } else this.set("offline");
        return;
      }
      this.set(s.active ? "reconnecting" : "offline");
    });
    s.io.on("reconnect_attempt", () => this.set("reconnecting"));
  }

  start(): void {
    if (!this.socket.connected) {
      this.set(this.connects ? "reconnecting" : "connecting");
      this.socket.connect();
    }
  }

  stop(): void {
    this.socket.disconnect();
    this.set("offline");
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Emits with an acknowledgement; resolves with the `{ ok: true }` reply or throws AckError. */
  async call<E extends EventName>(event: E, payload: Payload<E>, timeoutMs = 10_000): Promise<AckOk<E>> {
    // Never let Socket.IO buffer an emit while offline: the caller falls back to HTTP or retries.
    if (!this.socket.connected) throw new AckError("NOT_CONNECTED", "Not connected.");
    const emitter = this.socket.timeout(timeoutMs) as unknown as { emitWithAck(event: string, payload: unknown): Promise<Reply<E>> };
    let reply: Reply<E>;
    try {
      reply = await emitter.emitWithAck(event, payload);
    } catch {
      throw new AckError("TIMEOUT", "The server did not answer in time.");
    }
    if (!reply.ok) throw new AckError(reply.error.code, reply.error.message);
    return reply as AckOk<E>;
  }

  private set(state: ConnectionState) {
    this.state = state;
    this.notify();
  }

  private notify() {
    for (const l of this.listeners) l();
  }
}
