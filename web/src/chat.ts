/**
 * One open room: history with infinite scroll upwards, live messages, messages grouped by
 * sender, per-message "not read by N" counts from the members' read cursors, typing, edit and
 * delete of own messages, replies, reactions, mentions, pins, unsent messages with retry, and
 * a resync after every reconnect: new messages by seq, and changes to older ones by the room's
 * timeline revision (`rev`), so an edit, delete or reaction made meanwhile shows without a reload.
 */
import { api, type SendExtras } from "./api.js";
import { el, fullTime, replaceChildren, setText } from "./dom.js";
import { openInviteDialog } from "./invite-dialog.js";
import { MentionPicker, mentionsOf } from "./mentions.js";
import { MessageList } from "./message-list.js";
import type { Outbox } from "./outbox.js";
import { PinnedBar } from "./pins.js";
import { AckError, type Connection } from "./socket.js";
import type { Store } from "./store.js";
import { excerptOf, merge } from "./timeline.js";
import type { Message, Room } from "./types.js";

const PAGE = 50;
const TYPING_REPEAT_MS = 2_000;
const TYPING_IDLE_MS = 4_000;
const TYPING_SHOWN_MS = 6_000;
const NEAR_TOP_PX = 300;
const NEAR_BOTTOM_PX = 48;
/** Pages of older history a jump to a quoted message may load before giving up. */
const JUMP_PAGES_MAX = 40;
/** Pages of GET …/changes one resync reads at most (the next reconnect goes on from there). */
const CHANGES_PAGES_MAX = 50;

interface Member {
  lastReadSeq: number;
}

export interface ChatDeps {
  store: Store;
  conn: Connection;
  outbox: Outbox;
  onBack: () => void;
  /** Buttons of other features for the room's header (the call button). */
  headerActions?: (roomId: string) => HTMLElement[];
  /** Controls of other features beside the composer (attach a file); `sent` shows an acked message. */
  composerActions?: (roomId: string, sent: (message: Message) => void) => HTMLElement[];
}

export class ChatView {
  readonly root: HTMLElement;
  private room: Room | null;
  private readonly messages = new Map<number, Message>();
  private readonly members = new Map<string, Member>();
  private oldestSeq = 0;
  private newestSeq = 0;
  /** Every seq from the oldest held up to this one is held (seqs have no gaps: 1, 2, 3 …). */
  private contiguousSeq = 0;
  private hasMoreBefore = true;
  private historyLoaded = false;
  private loadingOlder = false;
  private filling: Promise<void> | null = null;
  private readonly typingUsers = new Map<string, number>();
  private editing: Message | null = null;
  private replying: Message | null = null;
  /**
   * The room's rev up to which every change is applied here (`revBase`), and the revs seen
   * above it: the base moves up while the next rev has been seen. Set by room:join's `rev` (or
   * the newest rev of the first page when no join came first); sent back as afterRev.
   */
  private revBase: number | null = null;
  private readonly revsAbove = new Set<number>();
  private older: Promise<void> | null = null;
  private typingSentAt = 0;
  private typingIdle = 0;
  private marking = false;
  /** Whether the reader was at the newest message at the last scroll. */
  private pinned = true;
  private loading = false;
  /** room:join completed during the first load: check after it for a message that fell between. */
  private fillAfterLoad = false;
  private destroyed = false;
  private readonly cleanups: (() => void)[] = [];

  private readonly title = el("h2", { class: "chat-title", id: "chat-title" });
  private readonly subtitle = el("p", { class: "chat-subtitle" });
  private readonly scroller = el("div", { class: "chat-scroll", role: "log", "aria-labelledby": "chat-title", tabindex: "0" });
  private readonly historyStatus = el("p", { class: "history-status" });
  private readonly list: MessageList;
  private readonly jump = el("button", { type: "button", class: "jump", hidden: true }, "New messages ↓");
  private readonly typingLine = el("p", { class: "typing", "aria-live": "polite" });
  private readonly editBanner = el("div", { class: "edit-banner", hidden: true });
  private readonly replyBanner = el("div", { class: "reply-banner", hidden: true, role: "status" });
  private readonly mentionPicker: MentionPicker;
  private readonly pins: PinnedBar;
  private readonly input = el("textarea", {
    name: "message",
    rows: "1",
    maxlength: "4000",
    placeholder: "Write a message",
    "aria-label": "Message",
    enterkeyhint: "send",
    autocomplete: "off",
  });
  private readonly sendButton = el("button", { type: "submit", class: "send" }, "Send");
  private readonly inviteButton = el("button", { type: "button", class: "secondary", hidden: true }, "Invite");
  private readonly composer = el("form", { class: "composer", "aria-label": "Send a message" });

  constructor(
    readonly roomId: string,
    private readonly deps: ChatDeps,
  ) {
    this.room = deps.store.rooms.get(roomId) ?? null;
    this.list = new MessageList(deps.store, {
      edit: (m) => this.startEditing(m),
      remove: (m) => void this.remove(m),
      retry: (id) => deps.outbox.retry(id),
      discard: (id) => deps.outbox.discard(id),
      reply: (m) => this.startReplying(m),
      react: (m, emoji, add) => void this.react(m, emoji, add),
      pin: (m, pinned) => void this.pin(m, pinned),
      jumpTo: (seq) => void this.jumpTo(seq),
    });
    this.pins = new PinnedBar(roomId, deps.store, (seq) => void this.jumpTo(seq), (m) => void this.pin(m, false));
    this.mentionPicker = new MentionPicker(this.input, () =>
      [...this.members.keys()].filter((id) => id !== deps.store.me.id && deps.store.users.has(id)).map((id) => ({ id, name: deps.store.userName(id) })),
    );
    const back = el("button", { type: "button", class: "back", "aria-label": "Back to chats" }, "‹");
    back.addEventListener("click", () => deps.onBack());
    this.inviteButton.addEventListener("click", () => this.openInviteDialog());
    this.scroller.append(this.historyStatus, this.list.el);
    this.composer.append(
      this.mentionPicker.el,
      this.editBanner,
      this.replyBanner,
      el("div", { class: "composer-row" }, ...(deps.composerActions?.(roomId, (m) => this.onSent(m)) ?? []), this.input, this.sendButton),
    );
    this.root = el(
      "section",
      { class: "chat", "aria-labelledby": "chat-title" },
      el("header", { class: "chat-head" }, back, el("div", { class: "chat-heading" }, this.title, this.subtitle), ...(deps.headerActions?.(roomId) ?? []), this.inviteButton),
      this.pins.el,
      this.scroller,
      this.jump,
      this.typingLine,
      this.composer,
    );

    this.scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    // The view resizes (phone keyboard, composer growing, shown again after the Friends tab on
    // a phone): stay pinned to the newest message if we were, and read what is now on screen.
    const resize = new ResizeObserver(() => {
      if (this.pinned && this.historyLoaded) this.scroller.scrollTop = this.scroller.scrollHeight;
      this.maybeMarkRead();
    });
    resize.observe(this.scroller);
    this.cleanups.push(() => resize.disconnect());
    this.jump.addEventListener("click", () => this.scrollToBottom());
    this.composer.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (this.mentionPicker.handleKey(e)) return; // the @-list is open: the key was for it
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      } else if (e.key === "Escape" && this.editing) {
        this.stopEditing();
      } else if (e.key === "Escape" && this.replying) {
        this.stopReplying();
      }
    });
    this.input.addEventListener("input", () => this.onInput());
    const onVisible = () => this.maybeMarkRead();
    document.addEventListener("visibilitychange", onVisible);
    this.cleanups.push(() => document.removeEventListener("visibilitychange", onVisible));
    this.cleanups.push(deps.outbox.onChange((id) => id === roomId && this.render()));
    this.cleanups.push(deps.store.on("rooms", () => this.onRoomsChanged()));
    this.cleanups.push(deps.store.on("users", () => this.render()));
    this.cleanups.push(deps.store.on("presence", () => this.renderHeader()));
    this.renderHeader();
    this.renderHistoryStatus();
  }

  /** Joins the room's live traffic, then loads members and the newest page. */
  async open(): Promise<void> {
    const joined = this.deps.conn.connected ? this.join().catch(() => {}) : Promise.resolve();
    void this.pins.load().catch(() => {});
    await this.load(joined);
    this.input.focus({ preventScroll: true });
  }

  /** Members, then the newest page, read only after room:join so no message falls between. */
  private async load(joined: Promise<void> = Promise.resolve()): Promise<void> {
    if (this.loading || this.historyLoaded || this.destroyed) return;
    this.loading = true;
    try {
      const details = api.room(this.roomId);
      await joined;
      this.fillAfterLoad = false; // that join came first: the page read next misses nothing
      const { room, members } = await details;
      if (this.destroyed) return;
      this.room = room;
      this.deps.store.rememberUsers(members.map((m) => m.user));
      for (const m of members) {
        this.setMemberRead(m.user.id, m.lastReadSeq);
        if (!this.deps.store.presence.has(m.user.id)) this.deps.store.presence.set(m.user.id, m.presence);
      }
      this.renderHeader();
      await this.loadOlder(true);
      if (this.fillAfterLoad && this.historyLoaded) void this.fillAfter();
    } catch (err) {
      this.showProblem(err);
    } finally {
      this.loading = false;
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.sendTyping(false);
    for (const c of this.cleanups) c();
    for (const t of this.typingUsers.values()) clearTimeout(t);
    if (this.deps.conn.connected) void this.deps.conn.call("room:leave", { roomId: this.roomId }).catch(() => {});
  }

  /**
   * room:join with the newest seq held: on a reconnect (to any node) the ack carries exactly
   * the missed messages and the members' read cursors.
   */
  async join(): Promise<void> {
    const rejoin = this.historyLoaded;
    const afterSeq = rejoin ? this.contiguousSeq : undefined;
    const afterRev = rejoin && this.revBase !== null ? this.revBase : undefined;
    const reply = await this.deps.conn.call("room:join", {
      roomId: this.roomId,
      ...(afterSeq === undefined ? {} : { afterSeq }),
      ...(afterRev === undefined ? {} : { afterRev }),
    });
    if (this.destroyed) return;
    // Older messages changed while we were away, in their current state; then the room's rev.
    if (reply.updated?.length) this.addMessages(reply.updated);
    this.setRevBase(reply.rev);
    if (rejoin) void this.pins.load().catch(() => {});
    this.room = reply.room;
    for (const m of reply.members) this.setMemberRead(m.userId, m.lastReadSeq, true);
    // Someone joined or left while we were away: names and the member list come from HTTP.
    const known = new Set(this.members.keys());
    if (this.historyLoaded && (reply.members.some((m) => !known.has(m.userId)) || reply.members.length !== known.size)) void this.reloadMembers();
    this.addMessages(reply.missed);
    if (reply.hasMore && afterSeq !== undefined) void this.fillAfter();
    // The changes may have been cut at the limit too: the rest through GET …/changes.
    if (reply.hasMore && afterRev !== undefined) void this.fillChanges();
    if (this.loading && !this.historyLoaded) this.fillAfterLoad = true; // joined while the first page was read
    else if (!this.historyLoaded) void this.load(); // the first load failed (offline?): again now
    this.renderHeader();
    this.maybeMarkRead();
  }

  // ---- live events (routed here by main.ts for this room) ----

  onMessage(message: Message): void {
    // A sender has read what they sent: the server moves their cursor without a receipt event.
    this.setMemberRead(message.senderId, message.seq);
    this.addMessages([message]);
    if (message.senderId === this.deps.store.me.id) this.deps.outbox.delivered(message);
  }

  onMessageUpdated(message: Message): void {
    if (this.editing?.seq === message.seq && message.deletedAt) this.stopEditing();
    if (this.replying?.seq === message.seq && message.deletedAt) this.stopReplying();
    this.addMessages([message]);
  }

  onReceipt(userId: string, lastReadSeq: number): void {
    this.setMemberRead(userId, lastReadSeq);
    this.render();
  }

  onTyping(userId: string, isTyping: boolean): void {
    clearTimeout(this.typingUsers.get(userId));
    if (isTyping) {
      this.typingUsers.set(
        userId,
        window.setTimeout(() => {
          this.typingUsers.delete(userId);
          this.renderTyping();
        }, TYPING_SHOWN_MS),
      );
    } else this.typingUsers.delete(userId);
    this.renderTyping();
  }

  /** Our own message came back acknowledged (socket or HTTP). */
  onSent(message: Message): void {
    this.addMessages([message], true);
  }

  // ---- history ----

  private addMessages(list: Message[], forceBottom = false): void {
    if (!list.length) return;
    const wasAtBottom = this.atBottom();
    let newer = false;
    const me = this.deps.store.me.id;
    for (const incoming of list) {
      if (incoming.roomId !== this.roomId) continue;
      this.noteRev(incoming.rev);
      this.pins.onMessage(incoming);
      // A change to a message older than the history held: it comes in its current state when
      // that history is loaded, and is not shown out of place now.
      if (this.oldestSeq && incoming.seq < this.oldestSeq) {
        this.requote(incoming); // a reply held may quote it
        continue;
      }
      const known = this.messages.get(incoming.seq);
      // Keep the newest state of a message (by rev: an edit may be overtaken by an older copy).
      const m = merge(known, incoming, me);
      if (!m) continue;
      this.messages.set(m.seq, m);
      if (known && (known.text !== m.text || known.deletedAt !== m.deletedAt)) this.requote(m);
      if (m.seq > this.newestSeq) {
        this.newestSeq = m.seq;
        newer = true;
      }
      if (!this.oldestSeq || m.seq < this.oldestSeq) this.oldestSeq = m.seq;
    }
    this.advanceContiguous();
    this.render();
    if (newer) {
      if (wasAtBottom || forceBottom) this.scrollToBottom();
      else this.jump.hidden = false;
    }
    this.maybeMarkRead();
    // A hole below the newest message (missed while offline, or messages of different nodes
    // arriving interleaved): fetch what lies after the last contiguous one.
    if (this.historyLoaded && this.newestSeq > this.contiguousSeq) void this.fillAfter();
  }

  private advanceContiguous(): void {
    while (this.messages.has(this.contiguousSeq + 1)) this.contiguousSeq++;
  }

  /** The page just before the oldest message held (or the newest page on open). */
  private loadOlder(initial = false): Promise<void> {
    if (this.loadingOlder) return this.older ?? Promise.resolve();
    if (!initial && !this.hasMoreBefore) return Promise.resolve();
    this.older = this.readOlder(initial).finally(() => (this.older = null));
    return this.older;
  }

  private async readOlder(initial: boolean): Promise<void> {
    this.loadingOlder = true;
    this.scroller.setAttribute("aria-busy", "true");
    this.renderHistoryStatus();
    try {
      const page = await api.messagesBefore(this.roomId, initial ? null : this.oldestSeq, PAGE);
      if (this.destroyed) return;
      this.hasMoreBefore = page.hasMore;
      const before = { height: this.scroller.scrollHeight, top: this.scroller.scrollTop };
      const me = this.deps.store.me.id;
      // With no join before it (offline), the first page sets where changes are counted from:
      // it shows every change up to its newest rev to the messages it holds.
      if (initial && this.revBase === null) this.setRevBase(Math.max(0, ...page.messages.map((m) => m.rev)));
      for (const incoming of page.messages) {
        this.noteRev(incoming.rev);
        const m = merge(this.messages.get(incoming.seq), incoming, me);
        if (m) this.messages.set(m.seq, m);
        if (incoming.seq > this.newestSeq) this.newestSeq = incoming.seq;
        if (!this.oldestSeq || incoming.seq < this.oldestSeq) this.oldestSeq = incoming.seq;
      }
      // Replies quote what their originals say now, as this page has them.
      for (const m of page.messages) this.requote(m);
      if (!page.messages.length) this.hasMoreBefore = false;
      this.render();
      if (initial) {
        this.historyLoaded = true;
        // The newest page is contiguous; live messages that came meanwhile may extend it.
        this.contiguousSeq = page.messages.at(-1)?.seq ?? 0;
        this.advanceContiguous();
        this.scrollToBottom();
      } else {
        // Keep the message the reader was looking at in place.
        this.scroller.scrollTop = before.top + (this.scroller.scrollHeight - before.height);
      }
    } catch (err) {
      this.showProblem(err);
    } finally {
      this.loadingOlder = false;
      this.scroller.removeAttribute("aria-busy");
      this.renderHistoryStatus();
    }
    if (this.destroyed) return;
    if (initial) {
      this.maybeMarkRead();
      if (this.newestSeq > this.contiguousSeq) void this.fillAfter();
    }
    // A short first page does not fill the view, and no scroll event would ever come.
    const s = this.scroller;
    if (this.historyLoaded && this.hasMoreBefore && s.clientHeight > 0 && s.scrollHeight <= s.clientHeight + NEAR_TOP_PX) void this.loadOlder();
  }

  /** Fetches everything after the newest seq held (a gap seen live, or a long reconnect). */
  private fillAfter(): Promise<void> {
    this.filling ??= (async () => {
      try {
        for (;;) {
          const from = this.contiguousSeq;
          const page = await api.messagesAfter(this.roomId, from, 100);
          if (this.destroyed) return;
          this.addMessages(page.messages); // starts no second fill: this one is running
          if (this.contiguousSeq === from) return; // nothing new came: stop rather than spin
          if (!page.hasMore && this.contiguousSeq >= this.newestSeq) return;
        }
      } catch {
        // the next reconnect or message tries again
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }

  /** The changes after the room's rev, page by page (after a resync cut at its limit). */
  private async fillChanges(): Promise<void> {
    try {
      for (let pages = 0; pages < CHANGES_PAGES_MAX && this.revBase !== null && !this.destroyed; pages++) {
        const from: number = this.revBase;
        const page = await api.changes(this.roomId, from, 100);
        if (this.destroyed) return;
        this.addMessages(page.messages);
        this.setRevBase(page.rev);
        if (!page.hasMore || page.rev <= from) return;
      }
    } catch {
      // the next reconnect asks again from the same rev
    }
  }

  /** Every change up to `rev` is applied here (a join's or a changes page's `rev`). */
  private setRevBase(rev: number): void {
    if (this.revBase !== null && rev <= this.revBase) return;
    this.revBase = rev;
    for (const r of this.revsAbove) if (r <= rev) this.revsAbove.delete(r);
    this.advanceRev();
  }

  /**
   * A change (a message's rev) seen: the base moves while the revs above it have no gap. Kept
   * before the first base too: a broadcast may arrive ahead of room:join's ack.
   */
  private noteRev(rev: number): void {
    if (this.revBase !== null && rev <= this.revBase) return;
    this.revsAbove.add(rev);
    this.advanceRev();
  }

  private advanceRev(): void {
    if (this.revBase === null) return;
    while (this.revsAbove.delete(this.revBase + 1)) this.revBase++;
  }

  /** The replies held to `original` quote it as it is now (edited, or deleted: null). */
  private requote(original: Message): void {
    const quote = excerptOf(original);
    for (const [seq, m] of this.messages) {
      if (m.replyToSeq !== original.seq || !m.replyTo) continue;
      if (m.replyTo.text !== quote.text) this.messages.set(seq, { ...m, replyTo: quote });
    }
  }

  private async reloadMembers(): Promise<void> {
    try {
      const { room, members } = await api.room(this.roomId);
      if (this.destroyed) return;
      this.room = room;
      this.deps.store.rememberUsers(members.map((m) => m.user));
      const ids = new Set(members.map((m) => m.user.id));
      for (const id of [...this.members.keys()]) if (!ids.has(id)) this.members.delete(id);
      for (const m of members) this.setMemberRead(m.user.id, m.lastReadSeq);
      this.renderHeader();
      this.render();
    } catch {
      // shown on the next successful load
    }
  }

  private onRoomsChanged(): void {
    const room = this.deps.store.rooms.get(this.roomId);
    if (!room) return;
    const membersChanged = this.room && room.memberCount !== this.room.memberCount;
    this.room = room;
    this.renderHeader();
    if (membersChanged) void this.reloadMembers();
  }

  private setMemberRead(userId: string, lastReadSeq: number, replace = false): void {
    const m = this.members.get(userId);
    if (!m) this.members.set(userId, { lastReadSeq });
    else m.lastReadSeq = replace ? lastReadSeq : Math.max(m.lastReadSeq, lastReadSeq);
  }

  // ---- reading ----

  private atBottom(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  private scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.pinned = true;
    this.jump.hidden = true;
    this.maybeMarkRead();
  }

  private onScroll(): void {
    if (this.scroller.clientHeight > 0) this.pinned = this.atBottom();
    if (this.scroller.scrollTop < NEAR_TOP_PX && this.historyLoaded) void this.loadOlder();
    if (this.atBottom()) {
      this.jump.hidden = true;
      this.maybeMarkRead();
    }
  }

  /** Moves our read cursor to the newest message while it is on screen. */
  private maybeMarkRead(): void {
    const me = this.deps.store.me.id;
    const mine = this.members.get(me)?.lastReadSeq ?? 0;
    const seq = this.newestSeq;
    if (this.marking || this.destroyed || !this.historyLoaded || seq <= mine) return;
    if (this.messages.get(seq)?.senderId === me) {
      // Sending moved our cursor on the server already (its receipt:updated is on the way).
      this.setMemberRead(me, seq);
      return;
    }
    // Only what is really on screen counts: a hidden view (phone layout on another tab) reads nothing.
    if (document.visibilityState !== "visible" || this.scroller.clientHeight === 0 || !this.atBottom()) return;
    this.marking = true;
    const done = (lastReadSeq: number) => {
      this.setMemberRead(me, lastReadSeq);
      const room = this.deps.store.rooms.get(this.roomId);
      if (room && (room.unreadCount > 0 || room.mentionCount > 0) && lastReadSeq >= room.lastSeq) this.deps.store.upsertRoom({ ...room, unreadCount: 0, mentionCount: 0, lastReadSeq });
      this.render();
    };
    const send = this.deps.conn.connected
      ? this.deps.conn.call("receipt:read", { roomId: this.roomId, seq }).then((r) => r.lastReadSeq)
      : api.markRead(this.roomId, seq).then((r) => r.lastReadSeq);
    void send
      .then(done, () => {})
      .finally(() => {
        this.marking = false;
        if (this.newestSeq > (this.members.get(me)?.lastReadSeq ?? 0) && this.newestSeq > seq) this.maybeMarkRead();
      });
  }

  // ---- writing ----

  private submit(): void {
    const text = this.input.value;
    if (!text.trim()) return;
    if (this.editing) {
      const target = this.editing;
      this.stopEditing();
      if (text !== target.text) void this.edit(target, text);
      return;
    }
    const members = [...this.members.keys()].filter((id) => id !== this.deps.store.me.id).map((id) => ({ id, name: this.deps.store.userName(id) }));
    const { mentions, mentionsRoom } = mentionsOf(text, this.mentionPicker.picked, members);
    const extras: SendExtras = {};
    const replyTo = this.replying ? excerptOf(this.replying) : undefined;
    if (replyTo) extras.replyToSeq = replyTo.seq;
    if (mentions.length) extras.mentions = mentions;
    if (mentionsRoom) extras.mentionsRoom = true;
    this.input.value = "";
    this.mentionPicker.reset();
    this.stopReplying(false);
    this.autosize();
    this.sendTyping(false);
    this.deps.outbox.send(this.roomId, text, extras, replyTo);
    this.render();
    this.scrollToBottom();
  }

  private async edit(message: Message, text: string): Promise<void> {
    try {
      const { message: edited } = await this.deps.conn.call("message:edit", { roomId: this.roomId, messageId: message.id, text });
      this.addMessages([edited]);
    } catch (err) {
      this.flash(`Could not edit: ${(err as Error).message}`);
    }
  }

  private async remove(message: Message): Promise<void> {
    try {
      await this.deps.conn.call("message:delete", { roomId: this.roomId, messageId: message.id });
    } catch (err) {
      this.flash(`Could not delete: ${(err as Error).message}`);
    }
  }

  private startEditing(message: Message): void {
    this.stopReplying(false);
    this.editing = message;
    this.input.value = message.text;
    replaceChildren(
      this.editBanner,
      el("span", {}, "Editing message"),
      el("button", { type: "button", class: "link", onclick: () => this.stopEditing() }, "Cancel"),
    );
    this.editBanner.hidden = false;
    setText(this.sendButton, "Save");
    this.autosize();
    this.input.focus();
  }

  private startReplying(message: Message): void {
    if (this.editing) this.stopEditing();
    this.replying = message;
    const quote = excerptOf(message);
    replaceChildren(
      this.replyBanner,
      el("span", { class: "reply-label" }, "Replying to ", el("strong", {}, this.deps.store.userName(message.senderId))),
      el("span", { class: "quote-text" }, quote.text ?? ""),
      el("button", { type: "button", class: "link", "aria-label": "Cancel reply", onclick: () => this.stopReplying() }, "Cancel"),
    );
    this.replyBanner.hidden = false;
    this.input.focus();
  }

  private stopReplying(focus = true): void {
    if (!this.replying) return;
    this.replying = null;
    this.replyBanner.hidden = true;
    replaceChildren(this.replyBanner);
    if (focus) this.input.focus();
  }

  private async react(message: Message, emoji: string, add: boolean): Promise<void> {
    try {
      const payload = { roomId: this.roomId, messageId: message.id, emoji };
      let reply: { message: Message };
      try {
        reply = await this.deps.conn.call(add ? "reaction:add" : "reaction:remove", payload);
      } catch (err) {
        // No socket: the same idempotent change over HTTP.
        if (!(err instanceof AckError && err.code === "NOT_CONNECTED")) throw err;
        reply = await api.react(this.roomId, message.seq, emoji, add);
      }
      this.addMessages([reply.message]);
    } catch (err) {
      this.flash(`Could not react: ${(err as Error).message}`);
    }
  }

  private async pin(message: Message, pinned: boolean): Promise<void> {
    try {
      const { message: changed } = await api.pin(this.roomId, message.seq, pinned);
      this.addMessages([changed]);
    } catch (err) {
      this.flash(`Could not ${pinned ? "pin" : "unpin"}: ${(err as Error).message}`);
    }
  }

  /**
   * Shows message `seq` (a quote or a pin was clicked): loads older pages until it is held,
   * scrolls to it and marks it for a moment.
   */
  private async jumpTo(seq: number): Promise<void> {
    for (let pages = 0; !this.messages.has(seq) && pages < JUMP_PAGES_MAX && !this.destroyed; pages++) {
      if (!this.historyLoaded || !this.hasMoreBefore || (this.oldestSeq && seq > this.oldestSeq)) break;
      const before = this.oldestSeq;
      await this.loadOlder();
      if (this.oldestSeq === before) break; // nothing came (offline?)
    }
    if (this.destroyed) return;
    const row = this.list.rowOf(seq);
    if (!row) return this.flash("That message is not available.");
    row.scrollIntoView({ block: "center" });
    this.pinned = this.atBottom();
    this.list.highlight(seq);
  }

  private stopEditing(): void {
    this.editing = null;
    this.editBanner.hidden = true;
    this.input.value = "";
    setText(this.sendButton, "Send");
    this.autosize();
  }

  private onInput(): void {
    this.autosize();
    if (this.editing) return;
    const typing = this.input.value.trim().length > 0;
    if (!typing) return this.sendTyping(false);
    const now = Date.now();
    if (now - this.typingSentAt > TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      void this.deps.conn.call("typing", { roomId: this.roomId, isTyping: true }).catch(() => {});
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = window.setTimeout(() => this.sendTyping(false), TYPING_IDLE_MS);
  }

  private sendTyping(isTyping: false): void {
    clearTimeout(this.typingIdle);
    if (!this.typingSentAt) return;
    this.typingSentAt = 0;
    void this.deps.conn.call("typing", { roomId: this.roomId, isTyping }).catch(() => {});
  }

  private autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
  }

  // ---- rendering ----

  private renderHeader(): void {
    const store = this.deps.store;
    const room = this.room;
    setText(this.title, room?.name ?? "…");
    this.inviteButton.hidden = room?.type !== "group";
    let sub = "";
    if (room?.type === "direct") {
      const peer = [...this.members.keys()].find((id) => id !== store.me.id);
      const p = peer ? store.presence.get(peer) : undefined;
      sub = p ? (p.status === "offline" ? (p.lastSeenAt ? `last seen ${fullTime(p.lastSeenAt)}` : "offline") : p.status) : "";
    } else if (room) {
      const online = [...this.members.keys()].filter((id) => id === store.me.id || (store.presence.get(id)?.status ?? "offline") !== "offline").length;
      sub = `${room.memberCount} member${room.memberCount === 1 ? "" : "s"}${this.members.size ? ` · ${online} online` : ""}`;
    }
    setText(this.subtitle, sub);
  }

  private renderHistoryStatus(): void {
    const text = this.loadingOlder ? "Loading earlier messages…" : this.historyLoaded && !this.hasMoreBefore ? "This is the beginning of the conversation." : "";
    setText(this.historyStatus, text);
  }

  private renderTyping(): void {
    const names = [...this.typingUsers.keys()].map((id) => this.deps.store.userName(id));
    const text =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
    setText(this.typingLine, text);
    this.typingLine.classList.toggle("active", names.length > 0);
  }

  private readCursors(): number[] {
    return [...this.members.values()].map((m) => m.lastReadSeq).sort((a, b) => a - b);
  }

  /** The list shows the messages held, then what the outbox still holds for this room. */
  private render(): void {
    const wasAtBottom = this.atBottom();
    const confirmed = [...this.messages.values()].sort((a, b) => a.seq - b.seq);
    this.list.render(confirmed, this.deps.outbox.forRoom(this.roomId), this.readCursors());
    if (wasAtBottom && this.historyLoaded) this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  private openInviteDialog(): void {
    openInviteDialog(this.deps.store, this.roomId, this.room?.name ?? "this room", new Set(this.members.keys()));
  }

  private showProblem(err: unknown): void {
    this.flash((err as Error).message || "Something went wrong.");
  }

  private flash(text: string): void {
    const note = el("p", { class: "toast", role: "alert" }, text);
    this.root.append(note);
    setTimeout(() => note.remove(), 5_000);
  }
}
