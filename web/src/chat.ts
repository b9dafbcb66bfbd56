/**
 * One open room: its header, pinned bar, message log, typing line and composer put together;
 * the members and the newest page loaded on open; the room's live events (routed here by
 * main.ts); and a resync after every reconnect: room:join with the newest seq and rev held
 * brings the messages missed and the changes to older ones, so an edit, delete or reaction
 * made meanwhile shows without a reload.
 */
import { api } from "./api.js";
import { ChatScroll } from "./chat-scroll.js";
import { Composer } from "./composer.js";
import { el } from "./dom.js";
import { openInviteDialog } from "./invite-dialog.js";
import { MessageActions } from "./message-actions.js";
import { MessageList } from "./message-list.js";
import type { Outbox } from "./outbox.js";
import { PinnedBar } from "./pins.js";
import { ReadReceipts } from "./read-receipts.js";
import { reportMessage } from "./report.js";
import { RoomHeader } from "./room-header.js";
import { openRoomSettings } from "./room-settings.js";
import { RoomTimeline } from "./room-timeline.js";
import type { Connection } from "./socket.js";
import type { Store } from "./store.js";
import { TypingLine } from "./typing-line.js";
import type { Message, Room } from "./types.js";

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
  private loading = false;
  /** room:join completed during the first load: check after it for a message that fell between. */
  private fillAfterLoad = false;
  private destroyed = false;
  private readonly cleanups: (() => void)[] = [];
  private readonly timeline: RoomTimeline;
  private readonly receipts: ReadReceipts;
  private readonly actions: MessageActions;
  private readonly log: ChatScroll;
  private readonly pins: PinnedBar;
  private readonly typing: TypingLine;
  private readonly composer: Composer;
  private readonly header: RoomHeader;

  constructor(
    readonly roomId: string,
    private readonly deps: ChatDeps,
  ) {
    const { store, conn, outbox } = deps;
    this.room = store.rooms.get(roomId) ?? null;
    this.timeline = new RoomTimeline(roomId, store, {
      arrived: (messages) => this.addMessages(messages),
      busy: (busy) => {
        this.log.busy(busy);
        this.renderHistoryStatus();
      },
      render: () => this.render(),
      keepPlace: () => this.log.keepPlace(),
      toNewest: () => this.log.toBottom(),
      markRead: () => this.receipts.markRead(),
      unfilled: () => this.log.unfilled(),
      problem: (err) => this.flash((err as Error).message || "Something went wrong."),
    });
    this.receipts = new ReadReceipts(roomId, store, conn, {
      ready: () => !this.destroyed && this.timeline.historyLoaded,
      newestSeq: () => this.timeline.newestSeq,
      senderOf: (seq) => this.timeline.get(seq)?.senderId,
      onScreen: () => this.log.newestOnScreen(),
      marked: () => this.render(),
    });
    this.actions = new MessageActions(roomId, conn, (m) => this.addMessages([m]), (text) => this.flash(text));
    const list = new MessageList(store, {
      edit: (m) => this.composer.startEditing(m),
      remove: (m) => void this.actions.remove(m),
      retry: (id) => outbox.retry(id),
      discard: (id) => outbox.discard(id),
      reply: (m) => this.composer.startReplying(m),
      react: (m, emoji, add) => void this.actions.react(m, emoji, add),
      pin: (m, pinned) => void this.actions.pin(m, pinned),
      report: (m) => void reportMessage(m, store.userName(m.senderId)),
      jumpTo: (seq) => void this.jumpTo(seq),
    });
    this.log = new ChatScroll(list, {
      loaded: () => this.timeline.historyLoaded,
      nearTop: () => void this.timeline.loadOlder(),
      atNewest: () => this.receipts.markRead(),
    });
    this.pins = new PinnedBar(roomId, store, (seq) => void this.jumpTo(seq), (m) => void this.actions.pin(m, false));
    this.typing = new TypingLine(store);
    this.composer = new Composer({
      roomId,
      store,
      conn,
      actions: deps.composerActions?.(roomId, (m) => this.onSent(m)) ?? [],
      memberIds: () => this.receipts.ids(),
      send: (text, extras, replyTo) => {
        outbox.send(roomId, text, extras, replyTo);
        this.render();
        this.log.toBottom();
      },
      saveEdit: (m, text) => void this.actions.edit(m, text),
    });
    const invite = () => openInviteDialog(store, roomId, this.room?.name ?? "this room", new Set(this.receipts.ids()));
    this.header = new RoomHeader(store, () => deps.onBack(), deps.headerActions?.(roomId) ?? [], invite, () => openRoomSettings(store, roomId));
    this.root = el("section", { class: "chat", "aria-labelledby": "chat-title" }, this.header.el, this.pins.el, this.log.el, this.log.jump, this.typing.el, this.composer.el);

    this.cleanups.push(() => this.log.destroy());
    const onVisible = () => this.receipts.markRead();
    document.addEventListener("visibilitychange", onVisible);
    this.cleanups.push(() => document.removeEventListener("visibilitychange", onVisible));
    this.cleanups.push(outbox.onChange((id) => id === roomId && this.render()));
    this.cleanups.push(store.on("rooms", () => this.onRoomsChanged()));
    this.cleanups.push(store.on("users", () => this.render()));
    this.cleanups.push(store.on("presence", () => this.renderHeader()));
    this.renderHeader();
    this.renderHistoryStatus();
  }

  /** Joins the room's live traffic, then loads members and the newest page. */
  async open(): Promise<void> {
    const joined = this.deps.conn.connected ? this.join().catch(() => {}) : Promise.resolve();
    void this.pins.load().catch(() => {});
    await this.load(joined);
    this.composer.focus({ preventScroll: true });
  }

  /** Members, then the newest page, read only after room:join so no message falls between. */
  private async load(joined: Promise<void> = Promise.resolve()): Promise<void> {
    if (this.loading || this.timeline.historyLoaded || this.destroyed) return;
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
        this.receipts.set(m.user.id, m.lastReadSeq);
        if (!this.deps.store.presence.has(m.user.id)) this.deps.store.presence.set(m.user.id, m.presence);
      }
      this.renderHeader();
      await this.timeline.loadOlder(true);
      if (this.fillAfterLoad && this.timeline.historyLoaded) void this.timeline.fillAfter();
    } catch (err) {
      this.flash((err as Error).message || "Something went wrong.");
    } finally {
      this.loading = false;
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.timeline.destroy();
    this.composer.stopTyping();
    for (const c of this.cleanups) c();
    this.typing.destroy();
    if (this.deps.conn.connected) void this.deps.conn.call("room:leave", { roomId: this.roomId }).catch(() => {});
  }

  /**
   * room:join with the newest seq held: on a reconnect (to any node) the ack carries exactly
   * the missed messages and the members' read cursors.
   */
  async join(): Promise<void> {
    const resume = this.timeline.resumePoint();
    const { afterSeq, afterRev } = resume;
    const rejoin = afterSeq !== undefined;
    const reply = await this.deps.conn.call("room:join", { roomId: this.roomId, ...resume });
    if (this.destroyed) return;
    // Older messages changed while we were away, in their current state; then the room's rev.
    if (reply.updated?.length) this.addMessages(reply.updated);
    this.timeline.setRevBase(reply.rev);
    if (rejoin) void this.pins.load().catch(() => {});
    this.room = reply.room;
    for (const m of reply.members) this.receipts.set(m.userId, m.lastReadSeq, true);
    // Someone joined or left while we were away: names and the member list come from HTTP.
    const known = new Set(this.receipts.ids());
    if (this.timeline.historyLoaded && (reply.members.some((m) => !known.has(m.userId)) || reply.members.length !== known.size)) void this.reloadMembers();
    this.addMessages(reply.missed);
    if (reply.hasMore && afterSeq !== undefined) void this.timeline.fillAfter();
    // The changes may have been cut at the limit too: the rest through GET …/changes.
    if (reply.hasMore && afterRev !== undefined) void this.timeline.fillChanges();
    if (this.loading && !this.timeline.historyLoaded) this.fillAfterLoad = true; // joined while the first page was read
    else if (!this.timeline.historyLoaded) void this.load(); // the first load failed (offline?): again now
    this.renderHeader();
    this.receipts.markRead();
  }

  // ---- live events (routed here by main.ts for this room) ----

  onMessage(message: Message): void {
    // A sender has read what they sent: the server moves their cursor without a receipt event.
    this.receipts.set(message.senderId, message.seq);
    this.addMessages([message]);
    if (message.senderId === this.deps.store.me.id) this.deps.outbox.delivered(message);
  }

  onMessageUpdated(message: Message): void {
    this.composer.onMessageUpdated(message);
    this.addMessages([message]);
  }

  onReceipt(userId: string, lastReadSeq: number): void {
    this.receipts.set(userId, lastReadSeq);
    this.render();
  }

  onTyping(userId: string, isTyping: boolean): void {
    this.typing.set(userId, isTyping);
  }

  /** Our own message came back acknowledged (socket or HTTP). */
  onSent(message: Message): void {
    this.addMessages([message], true);
  }

  private addMessages(list: Message[], forceBottom = false): void {
    if (!list.length) return;
    const wasAtBottom = this.log.atBottom();
    for (const m of list) this.pins.onMessage(m);
    const newer = this.timeline.apply(list);
    this.render();
    if (newer) {
      if (wasAtBottom || forceBottom) this.log.toBottom();
      else this.log.offerJump();
    }
    this.receipts.markRead();
    this.timeline.fillGap();
  }

  /** Shows message `seq` (a quote or a pin was clicked), loading older history until it is held. */
  private async jumpTo(seq: number): Promise<void> {
    await this.timeline.loadUntil(seq);
    if (this.destroyed) return;
    if (!this.log.reveal(seq)) this.flash("That message is not available.");
  }

  private async reloadMembers(): Promise<void> {
    try {
      const { room, members } = await api.room(this.roomId);
      if (this.destroyed) return;
      this.room = room;
      this.deps.store.rememberUsers(members.map((m) => m.user));
      const ids = new Set(members.map((m) => m.user.id));
      // Who left may have deleted their account: their messages then show a deleted sender.
      void this.deps.store.refreshUsers(this.receipts.ids().filter((id) => !ids.has(id)));
      this.receipts.retain(ids);
      for (const m of members) this.receipts.set(m.user.id, m.lastReadSeq);
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

  // ---- rendering ----

  /** The list shows the messages held, then what the outbox still holds for this room. */
  private render(): void {
    this.log.render(this.timeline.sorted(), this.deps.outbox.forRoom(this.roomId), this.receipts.cursors());
  }

  private renderHeader(): void {
    this.header.render(this.room, this.receipts.ids());
  }

  private renderHistoryStatus(): void {
    const t = this.timeline;
    this.log.status(t.loadingOlder ? "Loading earlier messages…" : t.atStart ? "This is the beginning of the conversation." : "");
  }

  private flash(text: string): void {
    const note = el("p", { class: "toast", role: "alert" }, text);
    this.root.append(note);
    setTimeout(() => note.remove(), 5_000);
  }
}
