/**
 * Entry point: the sign-in screen without a session, else the app shell (connection state,
 * chats and friends on the side, the open chat or the account's settings in the middle). Routes
 * live in the hash (#/, #/friends, #/room/<id>, #/settings) so a reload keeps the session and the
 * open room.
 */
import "./styles.css";
import { AccountSettings } from "./account-settings.js";
import { api, ApiError } from "./api.js";
import { renderAuth } from "./auth.js";
import { CallController } from "./call.js";
import { ChatView } from "./chat.js";
import { el, setText } from "./dom.js";
import { FeedPoller } from "./feed.js";
import { FriendsView } from "./friends.js";
import { attachButton } from "./files.js";
import { MusicController } from "./music.js";
import { Outbox } from "./outbox.js";
import { disablePush, pushToggle, registerServiceWorker } from "./push.js";
import { RoomsView } from "./rooms.js";
import { getSession, onSessionChange, updateUser, type Session } from "./session.js";
import { Connection } from "./socket.js";
import { Store } from "./store.js";
import type { FeedEvent } from "./types.js";
import { showToast } from "./toast.js";

const root = document.getElementById("app")!;
// The feed takes over only when the socket has been down this long (not on a quick reconnect).
const FEED_FALLBACK_DELAY_MS = 1_500;

type Route = { view: "chats" } | { view: "friends" } | { view: "settings" } | { view: "room"; roomId: string };

function parseRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const [head, id] = hash.split("/");
  if (head === "room" && id) return { view: "room", roomId: decodeURIComponent(id) };
  if (head === "friends") return { view: "friends" };
  if (head === "settings") return { view: "settings" };
  return { view: "chats" };
}

class App {
  private readonly store: Store;
  private readonly conn = new Connection();
  private readonly outbox: Outbox;
  private readonly feed: FeedPoller;
  private readonly rooms: RoomsView;
  private readonly friends: FriendsView;
  private readonly calls: CallController;
  private readonly music: MusicController;
  private chat: ChatView | null = null;
  private settings: AccountSettings | null = null;
  private readonly cleanups: (() => void)[] = [];
  private feedTimer = 0;
  private seenConnects = 0;
  /** Resolves true once the lists are loaded at start (false: a connect must load them). */
  private booted: Promise<boolean> = Promise.resolve(false);

  private readonly connBadge = el("p", { class: "conn", role: "status", "aria-live": "polite" });
  private readonly sidePanel = el("div", { class: "side-panel" });
  private readonly main = el("main", { class: "main", id: "main" });
  private readonly placeholder = el("div", { class: "placeholder muted" }, el("p", {}, "Pick a chat, or start one from the Friends tab."));
  private readonly chatsTab = el("a", { href: "#/", class: "tab" }, "Chats", el("span", { class: "badge", hidden: true }));
  private readonly friendsTab = el("a", { href: "#/friends", class: "tab" }, "Friends", el("span", { class: "badge", hidden: true }));
  private readonly settingsLink = el("a", { href: "#/settings", class: "button secondary settings-link", "aria-label": "Account settings" }, "Settings");
  private readonly shell: HTMLElement;

  constructor(session: Session) {
    this.store = new Store(session.user);
    this.outbox = new Outbox(session.user.id, this.conn, (m) => {
      if (this.chat?.roomId === m.roomId) this.chat.onSent(m);
    });
    this.feed = new FeedPoller(
      (events) => events.forEach((e) => this.onEvent(e)),
      () => this.store.loadAll(),
    );
    this.rooms = new RoomsView(this.store);
    this.friends = new FriendsView(this.store);
    this.calls = new CallController(this.conn, this.store);
    this.music = new MusicController(this.conn);
    void registerServiceWorker();

    const signOut = el("button", { type: "button", class: "link" }, "Sign out");
    // This browser's push subscription ends with the login (another user may sign in here next).
    signOut.addEventListener("click", () => void disablePush().catch(() => {}).finally(() => api.logout()));
    const me = el("span", { class: "me" }, session.user.displayName);
    this.cleanups.push(this.store.on("users", () => setText(me, this.store.me.displayName)));

    this.shell = el(
      "div",
      { class: "app" },
      el("a", { href: "#main", class: "skip" }, "Skip to content"),
      el("header", { class: "topbar" }, el("h1", { class: "brand" }, "Chat"), this.connBadge, el("span", { class: "spacer" }), pushToggle(), me, this.settingsLink, signOut),
      el("div", { class: "layout" }, el("aside", { class: "sidebar", "aria-label": "Chats and friends" }, el("nav", { class: "tabs", "aria-label": "Sections" }, this.chatsTab, this.friendsTab), this.sidePanel), this.main),
      this.calls.panel,
      this.music.panel,
    );
    root.replaceChildren(this.shell);

    this.wireSocket();
    this.cleanups.push(this.conn.onChange(() => this.onConnectionChange()));
    this.cleanups.push(this.store.on("rooms", () => this.renderBadges()));
    this.cleanups.push(this.store.on("invites", () => this.renderBadges()));
    this.cleanups.push(this.store.on("requests", () => this.renderBadges()));
    // Removed from the open room (banned, removed by its owner): out of it, saying why.
    this.cleanups.push(
      this.store.onRoomRemoved((id, room) => {
        if (this.chat?.roomId !== id) return;
        showToast(`You are no longer a member of ${room?.name ?? "this room"}.`);
        location.hash = "#/";
      }),
    );
    const onHash = () => this.route();
    const onOnline = () => {
      this.conn.start();
      this.outbox.retryAll();
      this.renderConnection();
    };
    const onOffline = () => this.renderConnection();
    window.addEventListener("hashchange", onHash);
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOffline);
    this.cleanups.push(() => {
      window.removeEventListener("hashchange", onHash);
      window.removeEventListener("online", onOnline);
      window.removeEventListener("offline", onOffline);
    });

    this.renderConnection();
    this.route();
    this.conn.start();
    this.booted = this.boot();
  }

  private async boot(): Promise<boolean> {
    try {
      const [{ user }] = await Promise.all([api.me(), this.store.loadAll()]);
      this.store.me = user;
      updateUser(user);
      this.store.rememberUsers([user]);
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) this.scheduleFeed(); // 401: the session listener shows the sign-in form
      return false;
    }
  }

  destroy(): void {
    for (const c of this.cleanups) c();
    clearTimeout(this.feedTimer);
    this.feed.stop();
    void this.calls.hangUp();
    this.chat?.destroy();
    this.settings?.destroy();
    this.rooms.destroy();
    this.friends.destroy();
    this.conn.stop();
    this.conn.socket.removeAllListeners();
  }

  private wireSocket(): void {
    const s = this.conn.socket;
    s.on("event", (e) => this.onEvent(e));
    s.on("presence:updated", (p) => this.store.setPresence(p.userId, { status: p.status, lastSeenAt: p.lastSeenAt }));
    s.on("message:new", (m) => this.chat?.roomId === m.roomId && this.chat.onMessage(m));
    s.on("message:updated", (m) => this.chat?.roomId === m.roomId && this.chat.onMessageUpdated(m));
    s.on("receipt:updated", (r) => this.chat?.roomId === r.roomId && this.chat.onReceipt(r.userId, r.lastReadSeq));
    s.on("typing", (t) => this.chat?.roomId === t.roomId && this.chat.onTyping(t.userId, t.isTyping));
  }

  /** A feed event (socket or long-poll): the store's, and a note to moderators of a report. */
  private onEvent(e: FeedEvent): void {
    this.store.applyEvent(e);
    if (e.type !== "report.created") return;
    const { report } = e.data;
    const room = report.roomId ? this.store.rooms.get(report.roomId) : undefined;
    showToast(`A message in ${room?.name ?? "a room you moderate"} was reported: ${report.reason}`);
  }

  private onConnectionChange(): void {
    this.renderConnection();
    if (this.conn.state === "online") {
      clearTimeout(this.feedTimer);
      this.feedTimer = 0;
      this.feed.stop();
      if (this.conn.connects !== this.seenConnects) {
        const reconnect = this.seenConnects > 0;
        this.seenConnects = this.conn.connects;
        // Resync: what changed while we were away, then the open room's missed messages.
        if (reconnect) void this.store.loadAll().catch(() => {});
        else void this.booted.then((ok) => {
          if (!ok) void this.store.loadAll().catch(() => {});
        });
        void this.chat?.join().catch(() => {});
        this.outbox.retryAll();
      }
    } else this.scheduleFeed();
  }

  /** No socket for a while: room-list updates come from the long-poll feed instead. */
  private scheduleFeed(): void {
    if (this.feed.running || this.feedTimer || this.conn.connected) return;
    this.feedTimer = window.setTimeout(() => {
      this.feedTimer = 0;
      if (!this.conn.connected) {
        this.feed.start();
        this.renderConnection();
      }
    }, FEED_FALLBACK_DELAY_MS);
  }

  private renderConnection(): void {
    const { state, transport } = this.conn;
    let text: string;
    if (!navigator.onLine) text = "Offline: no network";
    else if (state === "online") text = transport === "websocket" ? "Connected" : "Connected (long-polling)";
    else if (state === "connecting") text = "Connecting…";
    else text = this.feed.running ? "Reconnecting… (updates via long-poll)" : "Reconnecting…";
    setText(this.connBadge, text);
    this.connBadge.dataset.state = navigator.onLine ? state : "offline";
    this.connBadge.title = transport ? `Socket transport: ${transport}` : "No live connection";
  }

  private renderBadges(): void {
    const unread = [...this.store.rooms.values()].reduce((n, r) => n + r.unreadCount, 0) + this.store.invites.size;
    const requests = this.store.incoming.length;
    const set = (tab: HTMLElement, n: number, label: string) => {
      const badge = tab.querySelector(".badge") as HTMLElement;
      badge.hidden = n === 0;
      setText(badge, n > 99 ? "99+" : String(n));
      badge.setAttribute("aria-label", `${n} ${label}`);
    };
    set(this.chatsTab, unread, "unread");
    set(this.friendsTab, requests, "requests");
    document.title = unread ? `(${unread}) Chat` : "Chat";
  }

  private route(): void {
    const route = parseRoute();
    const roomId = route.view === "room" ? route.roomId : null;
    this.shell.dataset.view = route.view;
    const current = route.view === "friends" ? this.friendsTab : this.chatsTab;
    for (const tab of [this.chatsTab, this.friendsTab]) {
      if (tab === current) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
    if (route.view === "settings") this.settingsLink.setAttribute("aria-current", "page");
    else this.settingsLink.removeAttribute("aria-current");
    const panel = route.view === "friends" ? this.friends.root : this.rooms.root;
    if (this.sidePanel.firstChild !== panel) this.sidePanel.replaceChildren(panel);
    this.rooms.setActive(roomId);

    if (this.chat && this.chat.roomId !== roomId && route.view !== "friends") {
      this.chat.destroy();
      this.chat = null;
    }
    if (route.view === "settings") {
      // One page for the session: an export under way keeps being followed while away from it.
      this.settings ??= new AccountSettings(this.store);
      this.main.replaceChildren(this.settings.root);
    } else if (roomId && !this.chat) {
      this.chat = new ChatView(roomId, {
        store: this.store,
        conn: this.conn,
        outbox: this.outbox,
        onBack: () => (location.hash = "#/"),
        headerActions: (id) => [this.music.button(id), this.calls.button(id)],
        composerActions: (id, sent) => [attachButton(this.conn, id, sent)],
      });
      this.main.replaceChildren(this.chat.root);
      void this.chat.open();
    } else if (!this.chat) this.main.replaceChildren(this.placeholder);
  }
}

let app: App | null = null;

function show(session: Session | null): void {
  app?.destroy();
  app = null;
  if (session) app = new App(session);
  else renderAuth(root);
}

onSessionChange((session) => show(session));
show(getSession());
