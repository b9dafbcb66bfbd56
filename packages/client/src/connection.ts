/**
 * The socket (PROTOCOL.md, "Socket.IO"), kept up for as long as the client runs. Socket.IO's own
 * reconnection is off: it retries one URL and gives up after a server-side disconnect (a node
 * draining), while a client of this backend must reconnect after every drop, to any node
 * (docs/clients.md). So each attempt is a fresh socket to the next URL of the list (several
 * nodes, or one proxy), after a jittered backoff, with the credential read again just before
 * the handshake; an `unauthorized` refusal refreshes the login once before the next attempt.
 * Listeners subscribe here, not on a socket, so they survive reconnects.
 */
import { io, type Socket } from "socket.io-client";
import { CLIENT_EVENT_CATALOGUE, SERVER_EVENT_CATALOGUE } from "../../../src/protocol/socket-events.js";
import { backoffDelay, delay, type BackoffOptions } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { ChatError } from "./errors.js";
import type { AckReply, AckResult, ClientEvent, ClientPayload, ClientToServerEvents, ServerEvent, ServerPayload, ServerToClientEvents } from "./protocol.js";
import type { HandshakeAuth } from "./session.js";

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectionState = "idle" | "connecting" | "connected" | "waiting" | "closed";

export interface ConnectInfo {
  url: string;
  /** 1 for the first connection, 2 after the first reconnect, … */
  count: number;
}

export type ConnectionEvents = { [E in ServerEvent]: [ServerPayload<E>] } & {
  connect: [ConnectInfo];
  disconnect: [reason: string];
  connect_error: [error: Error, url: string];
  state: [ConnectionState];
  /** A server event that does not match its schema (validating): dropped, not delivered. */
  invalid: [event: string, problem: string];
};

export interface ConnectionOptions {
  /** Node URLs, tried in turn; or one proxy URL. */
  urls: string[];
  /** The handshake's credential, read before every attempt. */
  auth: () => Promise<HandshakeAuth>;
  /** The handshake presenting `refused` was refused (`unauthorized`): renew the credential; false ends the connection. */
  renewAuth: (refused: HandshakeAuth) => Promise<boolean>;
  /** Default ["polling", "websocket"] (Socket.IO's: polling first, upgraded when it can). */
  transports?: ("polling" | "websocket")[];
  /**
   * Keep cookies across a polling session's requests: behind HAProxy the SERVERID cookie keeps a
   * session on its node (docs/clients.md, "Behind the proxy"). Default: on outside browsers
   * (Node's socket.io-client only keeps cookies with it); browsers keep same-origin cookies anyway.
   */
  withCredentials?: boolean;
  /** Acknowledgement timeout, in ms (default 10,000). */
  ackTimeoutMs?: number;
  /** Handshake timeout, in ms (default 10,000). */
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Check server events and success acks against their schemas (default true). */
  validate?: boolean;
}

const SERVER_EVENTS = new Set<string>(Object.keys(SERVER_EVENT_CATALOGUE));

export class Connection extends Emitter<ConnectionEvents> {
  private socket: ChatSocket | null = null;
  private stateNow: ConnectionState = "idle";
  private connects = 0;
  private currentUrl: string | null = null;
  private readonly stop = new AbortController();

  constructor(private readonly opts: ConnectionOptions) {
    super();
    if (!opts.urls.length) throw new Error("at least one socket URL is needed");
  }

  get state(): ConnectionState {
    return this.stateNow;
  }
  get connected(): boolean {
    return this.socket?.connected ?? false;
  }
  /** The URL of the current (or last) connection. */
  get url(): string | null {
    return this.currentUrl;
  }
  /** Connections made so far (more than 1: it reconnected). */
  get connectCount(): number {
    return this.connects;
  }
  /** The Socket.IO socket now in use, for what this class does not wrap (null between connections). */
  get raw(): ChatSocket | null {
    return this.socket;
  }

  /** Starts connecting (and reconnecting after every drop) until close(). */
  start(): void {
    if (this.stateNow !== "idle") return;
    void this.run();
  }

  close(): void {
    if (this.stateNow === "closed") return;
    this.stop.abort();
    this.socket?.disconnect();
    this.socket = null;
    this.setState("closed");
  }

  /**
   * Emits `event` and resolves with its success ack (`{ ok: true, … }`), or throws a ChatError:
   * the server's code, TIMEOUT, or NOT_CONNECTED (nothing is queued while offline: the caller
   * decides whether to wait, retry or go through HTTP).
   */
  async call<E extends ClientEvent>(event: E, payload: ClientPayload<E>, timeoutMs = this.opts.ackTimeoutMs ?? 10_000): Promise<{ ok: true } & AckResult<E>> {
    const socket = this.socket;
    if (!socket?.connected) throw new ChatError("NOT_CONNECTED", `${event}: not connected`);
    const emitter = socket.timeout(timeoutMs) as unknown as { emitWithAck(event: E, payload: ClientPayload<E>): Promise<AckReply<E>> };
    let reply: AckReply<E>;
    try {
      reply = await emitter.emitWithAck(event, payload);
    } catch (err) {
      // Socket.IO fails a pending ack at once when its socket disconnects, else at the timeout.
      if (socket.connected) throw new ChatError("TIMEOUT", `${event}: no acknowledgement within ${timeoutMs} ms`, { cause: err });
      throw new ChatError("NOT_CONNECTED", `${event}: the connection dropped before the acknowledgement`, { cause: err });
    }
    if (!reply || typeof reply !== "object") throw new ChatError("PROTOCOL", `${event}: the acknowledgement is not an object`);
    if (!reply.ok) throw new ChatError(reply.error.code, reply.error.message, { errors: reply.error.errors ?? [] });
    if (this.opts.validate !== false) {
      const checked = CLIENT_EVENT_CATALOGUE[event].ack.safeParse(reply);
      if (!checked.success) throw new ChatError("PROTOCOL", `${event}: the acknowledgement does not match its schema: ${checked.error.message}`);
    }
    return reply as { ok: true } & AckResult<E>;
  }

  private setState(state: ConnectionState): void {
    if (this.stateNow === state) return;
    this.stateNow = state;
    this.emit("state", state);
  }

  private async run(): Promise<void> {
    let failures = 0;
    for (let attempt = 0; !this.stop.signal.aborted; attempt++) {
      const url = this.opts.urls[attempt % this.opts.urls.length]!;
      this.setState("connecting");
      const outcome = await this.attempt(url);
      if (this.stop.signal.aborted) break;
      if (outcome.socket) {
        failures = 0;
        await this.serve(outcome.socket, url);
      } else {
        failures++;
        // No login to present (signed out): nothing to retry with.
        if (outcome.error instanceof ChatError && outcome.error.code === "SIGNED_OUT") {
          this.close();
          return;
        }
        if (outcome.error?.message === "unauthorized" && outcome.auth && !(await this.opts.renewAuth(outcome.auth).catch(() => true))) {
          this.close();
          return;
        }
      }
      if (this.stop.signal.aborted) break;
      this.setState("waiting");
      // 250–750 ms after a drop or a first failure, doubling with each further failure.
      await delay(backoffDelay(Math.max(0, failures - 1), this.opts.backoff), this.stop.signal);
    }
    this.setState("closed");
  }

  /** One handshake: resolves with the connected socket, or the error that refused it (and the credential it presented). */
  private async attempt(url: string): Promise<{ socket?: ChatSocket; error?: Error; auth?: HandshakeAuth }> {
    let auth: HandshakeAuth;
    try {
      auth = await this.opts.auth();
    } catch (err) {
      return { error: err instanceof Error ? err : new Error(String(err)) };
    }
    if (this.stop.signal.aborted) return {};
    const socket: ChatSocket = io(url, {
      forceNew: true,
      reconnection: false,
      autoConnect: false,
      auth,
      transports: this.opts.transports ?? ["polling", "websocket"],
      withCredentials: this.opts.withCredentials ?? !("document" in globalThis),
      timeout: this.opts.connectTimeoutMs ?? 10_000,
    });
    return new Promise((resolve) => {
      const onAbort = () => {
        socket.disconnect();
        resolve({});
      };
      this.stop.signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => {
        this.stop.signal.removeEventListener("abort", onAbort);
        resolve({ socket });
      });
      socket.once("connect_error", (error) => {
        this.stop.signal.removeEventListener("abort", onAbort);
        socket.disconnect();
        this.emit("connect_error", error, url);
        resolve({ error, auth });
      });
      socket.connect();
    });
  }

  /** Delivers the socket's events until it drops (or close()). */
  private serve(socket: ChatSocket, url: string): Promise<void> {
    return new Promise((resolve) => {
      socket.onAny((event: string, payload: unknown) => this.deliver(event, payload));
      socket.once("disconnect", (reason) => {
        if (this.socket === socket) this.socket = null;
        socket.offAny();
        this.stop.signal.removeEventListener("abort", onAbort);
        this.emit("disconnect", reason);
        resolve();
      });
      const onAbort = () => resolve();
      this.stop.signal.addEventListener("abort", onAbort, { once: true });
      this.socket = socket;
      this.currentUrl = url;
      this.connects++;
      this.setState("connected");
      this.emit("connect", { url, count: this.connects });
    });
  }

  private deliver(event: string, payload: unknown): void {
    if (!SERVER_EVENTS.has(event)) return;
    const name = event as ServerEvent;
    if (this.opts.validate !== false) {
      const checked = SERVER_EVENT_CATALOGUE[name].payload.safeParse(payload);
      if (!checked.success) {
        this.emit("invalid", event, checked.error.message);
        return;
      }
    }
    (this.emit as (e: ServerEvent, p: unknown) => void)(name, payload);
  }
}
