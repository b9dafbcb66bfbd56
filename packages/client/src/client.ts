/**
 * The chat client: one login, the REST calls, a socket kept up across drops, the rooms it follows
 * and the sends it owes. After every connect (the first one included) it joins each followed
 * room, resyncs them all with `sync` from each timeline's exact position, then lets the outbox
 * send (docs/clients.md, "Reconnect, resync, resend"). Live events are applied as they come,
 * before, during and after the resync: every apply is idempotent.
 */
import { Connection, type ConnectInfo, type ConnectionOptions } from "./connection.js";
import { Emitter } from "./emitter.js";
import { asChatError, ChatError } from "./errors.js";
import { FollowedRooms } from "./followed-rooms.js";
import { Http } from "./http.js";
import { Outbox, type OutboxOptions, type QueuedSend } from "./outbox.js";
import { defaultOutboxStorage, type OutboxItem, type OutboxStorage } from "./outbox-storage.js";
import { PresenceBook } from "./presence.js";
import type { FeedEvent, Message, User } from "./protocol.js";
import { ChatRest, sendExtrasOf, type SendExtras } from "./rest.js";
import type { ResyncReport } from "./resync.js";
import { MemoryTokenStore, Session, type RefreshLock, type Tokens, type TokenStore } from "./session.js";
import type { RoomTimeline, TimelineOptions } from "./timeline.js";
import { TypingNotifier, TypingRoster, type TypingOptions } from "./typing.js";

export interface ChatClientOptions extends Pick<ConnectionOptions, "transports" | "withCredentials" | "ackTimeoutMs" | "connectTimeoutMs" | "backoff">, Pick<OutboxOptions, "maxInFlight" | "retry"> {
  /** The server: node URLs, tried in turn, or one proxy URL. */
  urls: string[];
  /** A login to resume (tokens kept from an earlier run). */
  tokens?: Tokens;
  /** Where tokens are kept (default memory); see Session. */
  tokenStore?: TokenStore;
  refreshLock?: RefreshLock;
  /** Act as a bot (`Authorization: Bot …`, `auth: { botToken }`) instead of a user. */
  botToken?: string;
  /** The outbox's storage, or how to make it for a user (default: localStorage in browsers, else memory). */
  outboxStorage?: OutboxStorage | ((userId: string) => OutboxStorage);
  /** While the socket is down, send over HTTP instead of waiting for it (default false). */
  httpFallback?: boolean;
  /** Check answers and events against the server's schemas (default true). */
  validate?: boolean;
  typing?: TypingOptions;
  fetch?: typeof fetch;
}

export type ClientState = "signed-out" | "idle" | "connecting" | "syncing" | "ready" | "closed";

interface ChatClientEvents {
  state: [ClientState];
  /** A (re)connect's resync is done: the followed rooms are up to date and the outbox is sending. */
  synced: [report: ResyncReport, connect: ConnectInfo];
  /** A new message, or a new state of one (edit, delete, reaction, pin), in a followed room. */
  message: [Message];
  /** A feed event for this user (invites, room list changes …), from the socket. */
  event: [FeedEvent];
  /** A followed room refused this user (NOT_FOUND: no longer a member). */
  roomError: [roomId: string, error: ChatError];
  /** The login is over (logout, or a refused refresh): the client stopped. */
  signedOut: [reason: string];
  /** Something failed in the background (a resync: the client reconnects and tries again). */
  error: [ChatError];
}

export class ChatClient extends Emitter<ChatClientEvents> {
  readonly session: Session;
  readonly rest: ChatRest;
  readonly connection: Connection;
  readonly presence = new PresenceBook();
  readonly typingRoster: TypingRoster;
  private readonly typingNotifier: TypingNotifier;
  private readonly followed: FollowedRooms;
  private outboxNow: Outbox | null = null;
  private stateNow: ClientState;
  private wantedPresence: "online" | "away" = "online";

  constructor(private readonly opts: ChatClientOptions) {
    super();
    // The session refreshes through the REST client, which authenticates with the session.
    this.session = new Session(opts.tokenStore ?? new MemoryTokenStore(), (refreshToken) => this.rest.call("refresh", { body: { refreshToken } }), opts.refreshLock);
    this.rest = new ChatRest(new Http({ baseUrls: opts.urls, session: this.session, validate: opts.validate, fetch: opts.fetch }));
    if (opts.tokens) this.session.setTokens(opts.tokens);
    if (opts.botToken) this.session.useBotToken(opts.botToken);
    this.session.on("ended", (reason) => this.signedOut(reason));
    this.connection = new Connection({
      ...opts,
      auth: () => this.session.handshakeAuth(),
      renewAuth: async (refused) => {
        try {
          await this.session.refresh("token" in refused ? refused.token : refused.botToken);
          return true;
        } catch (err) {
          return asChatError(err).code !== "SIGNED_OUT";
        }
      },
    });
    this.followed = new FollowedRooms({
      connection: this.connection,
      presence: this.presence,
      userId: () => this.userId,
      ready: () => this.stateNow === "ready",
      changed: (_t, messages) => {
        for (const m of messages) {
          if (m.senderId === this.userId) this.outboxNow?.delivered(m);
          this.emit("message", m);
        }
      },
      paged: (_t, messages) => {
        for (const m of messages) if (m.senderId === this.userId) this.outboxNow?.delivered(m);
      },
      pages: (roomId) => (query) => this.rest.history(roomId, query),
      refused: (roomId, error) => this.emit("roomError", roomId, error),
      failed: (error) => this.emit("error", error),
    });
    this.typingRoster = new TypingRoster(opts.typing);
    this.typingNotifier = new TypingNotifier((roomId, isTyping) => {
      if (this.connection.connected) this.connection.call("typing", { roomId, isTyping }).catch(() => {});
    }, opts.typing);
    this.stateNow = this.session.signedIn ? "idle" : "signed-out";
    this.listen();
  }

  get state(): ClientState {
    return this.stateNow;
  }

  /** The signed-in user's id (from the access token), or null. */
  get userId(): string | null {
    return this.session.userId;
  }

  async signup(email: string, password: string, displayName: string): Promise<User> {
    return this.signedIn(await this.rest.call("signup", { body: { email, password, displayName } }));
  }

  async login(email: string, password: string): Promise<User> {
    return this.signedIn(await this.rest.call("login", { body: { email, password } }));
  }

  /** Ends the login on the server and stops the client. */
  async logout(): Promise<void> {
    const refreshToken = this.session.tokens?.refreshToken;
    if (refreshToken) await this.rest.call("logout", { body: { refreshToken } }).catch(() => {});
    this.session.end("logout");
  }

  /** Starts the socket: it connects, resyncs, and reconnects after every drop until close(). */
  connect(): void {
    if (!this.session.signedIn) throw new ChatError("SIGNED_OUT", "sign in before connecting");
    if (this.connection.state === "closed") throw new ChatError("NOT_CONNECTED", "this client was closed: make a new one");
    void this.outbox; // made now, so sends kept from an earlier run go out after the first resync
    this.setState("connecting");
    this.connection.start();
  }

  /** Stops for good: the socket and the timers. The outbox's storage keeps what was not sent. */
  close(): void {
    this.shutdown("closed");
  }

  /** Resolves when the client is connected and resynced (now, or at the next resync); rejects once it is closed or signed out. */
  async ready(): Promise<void> {
    let state = this.stateNow;
    if (state !== "ready" && state !== "closed" && state !== "signed-out") [state] = await this.next("state", (s) => s === "ready" || s === "closed" || s === "signed-out");
    if (state !== "ready") throw new ChatError(state === "signed-out" ? "SIGNED_OUT" : "NOT_CONNECTED", `the client is ${state}`);
  }

  /**
   * Follows a room: its timeline, kept up to date live and resynced after every reconnect. The
   * same object for the same room every time; `from` applies only when it is first opened
   * (`"newest"`: at the room's newest page, with older pages read by the timeline's loadOlder).
   */
  room(roomId: string, opts: Pick<TimelineOptions, "from" | "pageSize"> = {}): RoomTimeline {
    return this.followed.open(roomId, opts);
  }

  /** Stops following a room (and its live traffic on this socket). */
  leaveRoom(roomId: string): void {
    this.followed.close(roomId);
  }

  get rooms(): RoomTimeline[] {
    return this.followed.all();
  }

  /** The unacknowledged sends (made at first use, for the signed-in user). */
  get outbox(): Outbox {
    if (!this.outboxNow) {
      const userId = this.userId ?? "bot";
      const storage = this.opts.outboxStorage;
      this.outboxNow = new Outbox((item) => this.transmit(item), {
        // The old web client kept one array under `chat.outbox.<userId>`: moved into the per-send keys once.
        storage: typeof storage === "function" ? storage(userId) : (storage ?? defaultOutboxStorage(`chat.outbox.${userId}.`, `chat.outbox.${userId}`)),
        ...(this.opts.maxInFlight ? { maxInFlight: this.opts.maxInFlight } : {}),
        ...(this.opts.retry ? { retry: this.opts.retry } : {}),
      });
      this.outboxNow.on("sent", (message) => this.followed.get(message.roomId)?.apply([message]));
      this.outboxNow.setReady(this.stateNow === "ready" || (!!this.opts.httpFallback && this.session.signedIn));
    }
    return this.outboxNow;
  }

  /** Queues a message: sent as soon as the client is ready, retried with the same clientMsgId until stored. */
  send(roomId: string, text: string, extras: SendExtras = {}): QueuedSend {
    this.typingNotifier.stop(roomId);
    return this.outbox.send(roomId, text, extras);
  }

  /** The user typed in a room: others see it (renewed while typing, cleared after a pause). */
  typing(roomId: string): void {
    this.typingNotifier.keystroke(roomId);
  }

  stopTyping(roomId: string): void {
    this.typingNotifier.stop(roomId);
  }

  /** This device is idle (away) or back (online); said again after every reconnect. */
  async setPresence(status: "online" | "away"): Promise<void> {
    this.wantedPresence = status;
    if (this.connection.connected) await this.connection.call("presence:set", { status });
  }

  private signedIn(reply: { user: User } & Tokens): User {
    this.session.setTokens({ accessToken: reply.accessToken, refreshToken: reply.refreshToken });
    if (this.stateNow === "signed-out") this.setState("idle");
    return reply.user;
  }

  /** Stops the socket and the timers for good (a closed client is not started again: make a new one). */
  private shutdown(state: "closed" | "signed-out"): void {
    this.setState(state);
    this.connection.close();
    this.outboxNow?.close();
    this.followed.stop();
    this.typingNotifier.close();
    this.typingRoster.clear();
  }

  private signedOut(reason: string): void {
    this.shutdown("signed-out");
    this.emit("signedOut", reason);
  }

  private setState(state: ClientState): void {
    if (this.stateNow === state) return;
    this.stateNow = state;
    this.emit("state", state);
  }

  private listen(): void {
    const c = this.connection;
    const live = (m: Message) => {
      // Not followed here (joined on this socket by the app's own call): passed on as it is.
      if (!this.followed.applyLive(m)) this.emit("message", m);
    };
    c.on("message:new", live);
    c.on("message:updated", live);
    c.on("receipt:updated", (r) => this.followed.applyReceipt(r));
    c.on("typing", (t) => this.typingRoster.apply(t));
    c.on("presence:updated", (p) => this.presence.apply(p));
    c.on("event", (e) => {
      if (e.type === "room.updated") this.followed.roomUpdated(e.data.room);
      this.emit("event", e);
    });
    c.on("connect", (info) => void this.onConnect(info));
    c.on("disconnect", () => {
      if (!this.opts.httpFallback) this.outboxNow?.setReady(false);
      this.typingRoster.clear();
      if (this.stateNow !== "closed" && this.stateNow !== "signed-out") this.setState("connecting");
    });
  }

  private async onConnect(info: ConnectInfo): Promise<void> {
    const current = () => this.connection.connectCount === info.count && this.connection.connected;
    this.setState("syncing");
    try {
      const report = await this.followed.catchUp(this.followed.all(), current);
      if (!current()) return;
      if (this.wantedPresence !== "online") await this.connection.call("presence:set", { status: this.wantedPresence }).catch(() => {});
      this.setState("ready");
      this.outboxNow?.setReady(true);
      this.emit("synced", report, info);
      this.followed.checkGaps();
    } catch (err) {
      if (!current()) return; // the connection dropped meanwhile: the next connect resyncs
      this.emit("error", asChatError(err));
      this.connection.raw?.disconnect(); // reconnect, and resync from the start
    }
  }

  /** How the outbox sends: the socket when ready, else HTTP if allowed, else it waits. */
  private async transmit(item: OutboxItem): Promise<Message> {
    const extras = sendExtrasOf(item);
    if (this.stateNow === "ready" && this.connection.connected) {
      try {
        return (await this.connection.call("message:send", { roomId: item.roomId, clientMsgId: item.clientMsgId, text: item.text, ...extras })).message;
      } catch (err) {
        // The socket dropped before the ack: with the fallback, the same send (same clientMsgId) goes over HTTP now.
        if (!(this.opts.httpFallback && asChatError(err).code === "NOT_CONNECTED")) throw err;
      }
    }
    if (this.opts.httpFallback && this.session.signedIn) return (await this.rest.send(item.roomId, item.clientMsgId, item.text, extras)).message;
    throw new ChatError("NOT_CONNECTED", "waiting for the connection");
  }
}
