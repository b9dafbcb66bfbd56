// A chat client that behaves as docs/clients.md tells client authors to: keeps HAProxy's cookie
// (withCredentials: socket.io-client's cookie jar in Node), reconnects after any drop, including
// a draining node's "io server disconnect", and on every connect joins its rooms and resyncs with
// `sync` from the last seq it holds; sends are acked, and a send without an answer (timeout,
// dropped connection) is sent again with the same clientMsgId. It records what the deploy tests
// measure: when each message first arrived (live or by sync), reconnects, and every failed send.
import { io, type Socket } from "socket.io-client";

export interface Msg {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  text: string;
  clientMsgId: string | null;
  createdAt: string;
}

export interface Arrival {
  at: number;
  roomId: string;
  seq: number;
  via: "live" | "sync";
}

export interface Reconnect {
  /** When the connection dropped, and why (Socket.IO's reason). */
  lostAt: number;
  reason: string;
  /** When the socket was connected again, and when join + sync had completed. */
  connectedAt?: number;
  syncedAt?: number;
  /** The node the session landed on (HAProxy's SERVERID cookie), polling only. */
  server?: string;
  /** How long the resync's room:join and sync took (the last attempt). */
  joinMs?: number;
  syncMs?: number;
}

export interface SendOutcome {
  ok: boolean;
  message?: Msg;
  /** The error code of a refused send (never retried). */
  code?: string;
  /** Sends that got no answer and were sent again with the same clientMsgId. */
  retries: number;
}

// Reconnect as the browser client does (the SDK's packages/client/src/backoff.ts): the first attempt 250-750 ms after a drop.
const RECONNECT = { reconnectionDelay: 500, reconnectionDelayMax: 2_000, randomizationFactor: 0.5 };

export class ChatClient {
  readonly socket: Socket;
  /** Per room: every seq held, and the highest seq below which nothing is missing. */
  readonly held = new Map<string, Map<number, Msg>>();
  private readonly contiguous = new Map<string, number>();
  readonly arrivals: Arrival[] = [];
  readonly reconnects: Reconnect[] = [];
  /** Deliveries of a seq already held (possible around a rejoin; dropped, as clients must). */
  duplicateDeliveries = 0;
  readonly sendFailures = new Map<string, number>();
  /** Each refused send: when, and the server's message. */
  readonly refusals: { at: number; code: string; message: string }[] = [];
  /** Sends sent again: cut off by a dropped connection before their ack, or unanswered within the timeout. */
  sendsCutOff = 0;
  sendTimeouts = 0;
  private synced = false;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    readonly url: string,
    readonly token: string,
    readonly transport: "polling" | "websocket" | "upgrade",
    readonly rooms: string[],
    readonly name = "client",
  ) {
    this.socket = io(url, {
      auth: { token },
      transports: transport === "polling" ? ["polling"] : transport === "websocket" ? ["websocket"] : ["polling", "websocket"],
      // The cookie jar: every request of a polling session carries HAProxy's SERVERID.
      withCredentials: true,
      forceNew: true,
      ...RECONNECT,
    });
    for (const r of rooms) {
      this.held.set(r, new Map());
      this.contiguous.set(r, 0);
    }
    this.socket.on("message:new", (m: Msg) => this.accept(m, "live"));
    this.socket.on("connect", () => void this.resync());
    this.socket.on("disconnect", (reason) => {
      this.synced = false;
      this.reconnects.push({ lostAt: Date.now(), reason });
      // A draining node closes its sockets with a disconnect packet; Socket.IO leaves reconnecting
      // to the client then. Through the proxy the next handshake lands on a node that is up.
      if (reason === "io server disconnect" && !this.closed) this.socket.connect();
    });
  }

  /** Resolves once connected and resynced (the first connect included). */
  ready(timeoutMs = 15_000): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: not connected and synced within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  get isReady(): boolean {
    return this.synced;
  }

  /** The node this session is on, from HAProxy's SERVERID cookie (polling sessions). */
  get server(): string | undefined {
    const jar = (this.socket.io.engine as unknown as { _cookieJar?: { cookies: Iterable<[string, { value: string }]> } } | undefined)?._cookieJar;
    if (!jar) return undefined;
    for (const [name, cookie] of jar.cookies) if (name === "SERVERID") return cookie.value;
    return undefined;
  }

  /** Every seq of the room this client holds, ascending. */
  seqs(roomId: string): number[] {
    return [...(this.held.get(roomId)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /**
   * Sends until acked. No answer (the connection dropped before the ack, or none within
   * `ackTimeoutMs`) means send again, after the resync, with the same clientMsgId: the server
   * stores it at most once. An error code is final (and counted).
   */
  async send(roomId: string, clientMsgId: string, text: string, ackTimeoutMs = 10_000): Promise<SendOutcome> {
    let retries = 0;
    for (;;) {
      if (this.closed) return { ok: false, code: "CLOSED", retries };
      await this.ready(60_000);
      try {
        const ack = await this.socket.timeout(ackTimeoutMs).emitWithAck("message:send", { roomId, clientMsgId, text });
        if (ack.ok) return { ok: true, message: ack.message, retries };
        const code = String(ack.error?.code ?? "UNKNOWN");
        this.sendFailures.set(code, (this.sendFailures.get(code) ?? 0) + 1);
        this.refusals.push({ at: Date.now(), code, message: String(ack.error?.message ?? "") });
        return { ok: false, code, retries };
      } catch (err) {
        // No answer: the same clientMsgId again once connected and resynced.
        retries++;
        if (String((err as Error).message).includes("disconnected")) this.sendsCutOff++;
        else this.sendTimeouts++;
      }
    }
  }

  close(): void {
    this.closed = true;
    this.socket.close();
  }

  private accept(m: Msg, via: Arrival["via"]): void {
    const room = this.held.get(m.roomId);
    if (!room) return;
    if (room.has(m.seq)) {
      this.duplicateDeliveries++;
      return;
    }
    room.set(m.seq, m);
    this.arrivals.push({ at: Date.now(), roomId: m.roomId, seq: m.seq, via });
    let c = this.contiguous.get(m.roomId)!;
    while (room.has(c + 1)) c++;
    this.contiguous.set(m.roomId, c);
  }

  /** On every connect: join the rooms (live traffic), then fetch what was missed after the last seq held. */
  private async resync(): Promise<void> {
    const last = this.reconnects.at(-1);
    if (last && last.connectedAt === undefined) {
      last.connectedAt = Date.now();
      last.server = this.server;
    }
    // Until it works or the connection drops (then the next connect starts over).
    while (this.socket.connected && !this.synced) {
      try {
        // Join first: a message committed meanwhile is then live, in the sync answer, or both.
        const t0 = Date.now();
        for (const roomId of this.rooms) {
          const joined = await this.socket.timeout(5_000).emitWithAck("room:join", { roomId });
          if (!joined.ok) throw new Error(`room:join ${roomId}: ${joined.error?.code}`);
        }
        const t1 = Date.now();
        for (;;) {
          const after = Object.fromEntries(this.rooms.map((r) => [r, this.contiguous.get(r)!]));
          const res = await this.socket.timeout(5_000).emitWithAck("sync", { rooms: after });
          if (!res.ok) throw new Error(`sync: ${res.error?.code}`);
          let more = false;
          for (const page of Object.values(res.rooms as Record<string, { messages: Msg[]; hasMore: boolean }>)) {
            for (const m of page.messages) this.accept(m, "sync");
            more ||= page.hasMore;
          }
          if (!more) break;
        }
        if (!this.socket.connected) return;
        if (last) Object.assign(last, { joinMs: t1 - t0, syncMs: Date.now() - t1 });
        if (last && last.syncedAt === undefined) last.syncedAt = Date.now();
        this.synced = true;
        for (const w of this.waiters.splice(0)) w();
      } catch {
        // No answer or a refusal while connected: try again shortly (a backoff, not a test wait).
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

/** The longest time between two consecutive first arrivals within [from, to]. */
export function longestGap(arrivals: Arrival[], from: number, to: number): { ms: number; at: number } {
  const times = arrivals.map((a) => a.at).filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let best = { ms: 0, at: from };
  let prev = from;
  for (const t of [...times, to]) {
    if (t - prev > best.ms) best = { ms: t - prev, at: prev };
    prev = t;
  }
  return best;
}
