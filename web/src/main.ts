/**
 * Entry point: the sign-in screen without a session, else the app shell (connection state,
 * chats and friends on the side, the open chat or the account's settings in the middle). Routes
 * live in the hash (#/, #/friends, #/room/<id>, #/settings) so a reload keeps the session and the
 * open room.
 */
import "./styles.css";
import { ChatError, FeedPoller, type ChatClient } from "@chat-backend/client";
import { AccountSettings } from "./account-settings.js";
import { renderAuth } from "./auth.js";
import { CallController } from "./call.js";
import { ChatView } from "./chat.js";
import { client, dropClient, login } from "./client.js";
import { el, setText } from "./dom.js";
import { FriendsView } from "./friends.js";
import { attachButton } from "./files.js";
import { MusicController } from "./music.js";
import { disablePush, pushToggle, registerServiceWorker } from "./push.js";
import { RoomsView } from "./rooms.js";
import { Store } from "./store.js";
import type { SavedSession } from "./token-store.js";
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
  private readonly client: ChatClient;
  private readonly store: Store;
  private readonly feed: FeedPoller;
  private readonly rooms: RoomsView;
  private readonly friends: FriendsView;
  private readonly calls: CallController;
  private readonly music: MusicController;
  private chat: ChatView | null = null;
  private settings: AccountSettings | null = null;
  private readonly cleanups: (() => void)[] = [];
  private feedTimer = 0;
  /** Resolves true once the lists are loaded at start (false: the first resync must load them). */
  private booted: Promise<boolean> = Promise.resolve(false);

  private readonly connBadge = el("p", { class: "conn", role: "status", "aria-live": "polite" });
  private readonly sidePanel = el("div", { class: "side-panel" });
  private readonly main = el("main", { class: "main", id: "main" });
  private readonly placeholder = el("div", { class: "placeholder muted" }, el("p", {}, "Pick a chat, or start one from the Friends tab."));
  private readonly chatsTab = el("a", { href: "#/", class: "tab" }, "Chats", el("span", { class: "badge", hidden: true }));
  private readonly friendsTab = el("a", { href: "#/friends", class: "tab" }, "Friends", el("span", { class: "badge", hidden: true }));
  private readonly settingsLink = el("a", { href: "#/settings", class: "button secondary settings-link", "aria-label": "Account settings" }, "Settings");
  private readonly shell: HTMLElement;

  constructor(session: SavedSession) {
    this.client = client();
    this.store = new Store(session.user);
    this.feed = new FeedPoller(this.client.rest, {
      onEvents: (events) => events.forEach((e) => this.onEvent(e)),
      onReset: () => this.store.loadAll(),
    });
    this.rooms = new RoomsView(this.store);
    this.friends = new FriendsView(this.store);
    this.calls = new CallController(this.client, this.store);
    this.music = new MusicController(this.client);
    void registerServiceWorker();

    const signOut = el("button", { type: "button", class: "link" }, "Sign out");
    // This browser's push subscription ends with the login (another user may sign in here next).
    signOut.addEventListener("click", () => void disablePush().catch(() => {}).finally(() => void this.client.logout()));
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

    this.wireClient();
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
      // The network is back: sends waiting out a backoff go now.
      for (const item of this.client.outbox.pending()) if (item.lastError) this.client.outbox.retry(item.clientMsgId);
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
    this.client.connect();
    this.booted = this.boot();
  }

  private async boot(): Promise<boolean> {
    try {
      const [{ user }] = await Promise.all([this.client.rest.me(), this.store.loadAll()]);
      this.store.me = user;
      login.updateUser(user);
      this.store.rememberUsers([user]);
      return true;
    } catch (err) {
      if (!(err instanceof ChatError && (err.status === 401 || err.code === "SIGNED_OUT"))) this.scheduleFeed(); // signed out: the log-in form comes back
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
  }

  private wireClient(): void {
    const c = this.client;
    this.cleanups.push(
      c.on("event", (e) => this.onEvent(e)),
      // presence:updated as it comes (room:join's online flags would turn an away friend online).
      c.connection.on("presence:updated", (p) => this.store.setPresence(p.userId, { status: p.status, lastSeenAt: p.lastSeenAt })),
      c.on("state", () => this.onConnectionChange()),
      // Each connection starts on long-polling and may upgrade to WebSocket: the badge says which.
      c.connection.on("connect", () => c.connection.raw?.io.engine?.on("upgrade", () => this.renderConnection())),
      c.on("synced", (_report, { count }) => {
        // What changed while away: the lists again (the open room resynced itself).
        if (count > 1) void this.store.loadAll().catch(() => {});
        else
          void this.booted.then((ok) => {
            if (!ok) void this.store.loadAll().catch(() => {});
          });
      }),
    );
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
    if (this.client.state === "ready") {
      clearTimeout(this.feedTimer);
      this.feedTimer = 0;
      this.feed.stop();
    } else this.scheduleFeed();
  }

  /** No socket for a while: room-list updates come from the long-poll feed instead. */
  private scheduleFeed(): void {
    if (this.feed.running || this.feedTimer || this.client.state === "ready") return;
    this.feedTimer = window.setTimeout(() => {
      this.feedTimer = 0;
      if (this.client.state !== "ready" && this.client.state !== "closed" && this.client.state !== "signed-out") {
        this.feed.start();
        this.renderConnection();
      }
    }, FEED_FALLBACK_DELAY_MS);
  }

  /** The badge: online (connected and resynced), syncing, connecting (the first time), reconnecting, offline. */
  private renderConnection(): void {
    const c = this.client;
    const transport = c.connection.connected ? (c.connection.raw?.io.engine?.transport?.name ?? null) : null;
    const state =
      c.state === "ready" ? "online" : c.state === "syncing" ? "syncing" : c.state === "connecting" || c.state === "idle" ? (c.connection.connectCount ? "reconnecting" : "connecting") : "offline";
    let text: string;
    if (!navigator.onLine) text = "Offline: no network";
    else if (state === "online") text = transport === "websocket" ? "Connected" : "Connected (long-polling)";
    else if (state === "syncing") text = "Catching up…";
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
        client: this.client,
        onBack: () => (location.hash = "#/"),
        headerActions: (id) => [this.music.button(id), this.calls.button(id)],
        composerActions: (id) => [attachButton(this.client, id)],
      });
      this.main.replaceChildren(this.chat.root);
      void this.chat.open();
    } else if (!this.chat) this.main.replaceChildren(this.placeholder);
  }
}

let app: App | null = null;

/** The signed-in user changed (or the page opened): a new client and app for them, or the log-in form. */
function show(session: SavedSession | null): void {
  app?.destroy();
  app = null;
  dropClient();
  if (session) app = new App(session);
  else renderAuth(root);
}

login.onChange((session) => show(session));
show(login.session);
