/**
 * One open room: its header, pinned bar, message log, typing line and composer put together,
 * over the SDK's timeline of the room (client.room, opened at its newest page). The client joins
 * the room's live traffic, resyncs it after every reconnect (to any node, by seq and rev: an edit,
 * delete or reaction made meanwhile shows without a reload) and fills the gaps a lost broadcast
 * leaves; this view shows what the timeline holds, then what the outbox still holds for the room.
 */
import type { ChatClient, OutboxItem, RoomTimeline } from "@chat-backend/client";
import { ChatScroll } from "./chat-scroll.js";
import { Composer } from "./composer.js";
import { el } from "./dom.js";
import { openInviteDialog } from "./invite-dialog.js";
import { MessageActions } from "./message-actions.js";
import { MessageList, type PendingMessage } from "./message-list.js";
import { excerptOf } from "./message-text.js";
import { PinnedBar } from "./pins.js";
import { ReadReceipts } from "./read-receipts.js";
import { reportMessage } from "./report.js";
import { RoomHeader } from "./room-header.js";
import { openRoomSettings } from "./room-settings.js";
import { RoomHistory } from "./room-timeline.js";
import type { Store } from "./store.js";
import { TypingLine } from "./typing-line.js";
import type { Message, Room } from "./types.js";

export interface ChatDeps {
  store: Store;
  client: ChatClient;
  onBack: () => void;
  /** Buttons of other features for the room's header (the call button). */
  headerActions?: (roomId: string) => HTMLElement[];
  /** Controls of other features beside the composer (attach a file). */
  composerActions?: (roomId: string) => HTMLElement[];
}

export class ChatView {
  readonly root: HTMLElement;
  private room: Room | null;
  private destroyed = false;
  /** The newest seq on screen: a message above it is a new one (to stay at, or offer a jump to). */
  private newestShown = 0;
  /** What a pending reply quotes, by clientMsgId (shown while it is sent). */
  private readonly quotes = new Map<string, NonNullable<Message["replyTo"]>>();
  private readonly cleanups: (() => void)[] = [];
  private readonly timeline: RoomTimeline;
  private readonly history: RoomHistory;
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
    const { store, client } = deps;
    this.room = store.rooms.get(roomId) ?? null;
    this.timeline = client.room(roomId, { from: "newest" });
    this.history = new RoomHistory(this.timeline, {
      busy: (busy) => {
        this.log.busy(busy);
        this.renderHistoryStatus(busy);
      },
      render: () => this.render(),
      keepPlace: () => this.log.keepPlace(),
      toNewest: () => this.log.toBottom(),
      markRead: () => this.receipts.markRead(),
      unfilled: () => this.log.unfilled(),
      problem: (err) => this.flash((err as Error).message || "Something went wrong."),
    });
    this.receipts = new ReadReceipts(roomId, store, client, {
      ready: () => !this.destroyed && this.history.loaded,
      newestSeq: () => this.timeline.newestSeq,
      senderOf: (seq) => this.timeline.get(seq)?.senderId,
      onScreen: () => this.log.newestOnScreen(),
      marked: () => this.render(),
    });
    this.actions = new MessageActions(client, this.timeline, (text) => this.flash(text));
    const list = new MessageList(store, {
      edit: (m) => this.composer.startEditing(m),
      remove: (m) => void this.actions.remove(m),
      retry: (id) => client.outbox.retry(id),
      discard: (id) => client.outbox.discard(id),
      reply: (m) => this.composer.startReplying(m),
      react: (m, emoji, add) => void this.actions.react(m, emoji, add),
      pin: (m, pinned) => void this.actions.pin(m, pinned),
      report: (m) => void reportMessage(m, store.userName(m.senderId)),
      jumpTo: (seq) => void this.jumpTo(seq),
    });
    this.log = new ChatScroll(list, {
      loaded: () => this.history.loaded,
      nearTop: () => void this.history.loadOlder(),
      atNewest: () => this.receipts.markRead(),
    });
    this.pins = new PinnedBar(roomId, store, (seq) => void this.jumpTo(seq), (m) => void this.actions.pin(m, false));
    this.typing = new TypingLine(store, client.typingRoster, roomId);
    this.composer = new Composer({
      roomId,
      store,
      client,
      actions: deps.composerActions?.(roomId) ?? [],
      memberIds: () => this.receipts.ids(),
      send: (text, extras, replyTo) => {
        const { clientMsgId } = client.send(roomId, text, extras);
        if (replyTo) this.quotes.set(clientMsgId, replyTo);
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
    this.cleanups.push(
      () => document.removeEventListener("visibilitychange", onVisible),
      this.timeline.on("messages", (changed) => this.onMessages(changed)),
      this.timeline.on("receipt", (userId, lastReadSeq) => this.onReceipt(userId, lastReadSeq)),
      client.outbox.on("change", () => this.render()),
      // After a reconnect the timeline is resynced; the pins and the members are read again.
      client.on("synced", (_report, { count }) => count > 1 && this.onResynced()),
      store.on("rooms", () => this.onRoomsChanged()),
      store.on("users", () => this.render()),
      store.on("presence", () => this.renderHeader()),
    );
    this.renderHeader();
    this.renderHistoryStatus(false);
  }

  /** The members and the newest page (the client joins the room's live traffic before reading it). */
  async open(): Promise<void> {
    void this.pins.load().catch(() => {});
    await Promise.all([this.reloadMembers(), this.history.loadOlder()]);
    if (!this.destroyed) this.composer.focus({ preventScroll: true });
  }

  destroy(): void {
    this.destroyed = true;
    this.history.destroy();
    this.composer.stopTyping();
    for (const c of this.cleanups) c();
    this.typing.destroy();
    this.deps.client.leaveRoom(this.roomId);
  }

  // ---- what the timeline tells (live, resynced, acked, gaps filled) ----

  private onMessages(changed: Message[]): void {
    const wasAtBottom = this.log.atBottom();
    let newer = false;
    for (const m of changed) {
      // A sender has read what they sent: the server moves their cursor without a receipt event.
      // (A re-render may have come first: an own message's ack renders through the outbox.)
      if (m.seq > this.newestShown || this.receipts.has(m.senderId)) this.receipts.set(m.senderId, m.seq);
      if (m.seq > this.newestShown) newer = true;
      this.pins.onMessage(m);
      this.composer.onMessageUpdated(m);
    }
    this.render();
    if (newer && this.history.loaded) {
      if (wasAtBottom) this.log.toBottom();
      else this.log.offerJump();
    }
    this.receipts.markRead();
  }

  private onReceipt(userId: string, lastReadSeq: number): void {
    // Someone the member list does not know yet (they joined meanwhile): names come from HTTP.
    if (!this.receipts.has(userId) && this.history.loaded) void this.reloadMembers();
    this.receipts.set(userId, lastReadSeq);
    this.render();
  }

  private onResynced(): void {
    void this.pins.load().catch(() => {});
    void this.reloadMembers();
    this.receipts.markRead();
  }

  /** Shows message `seq` (a quote or a pin was clicked), loading older history until it is held. */
  private async jumpTo(seq: number): Promise<void> {
    await this.history.loadUntil(seq);
    if (this.destroyed) return;
    if (!this.log.reveal(seq)) this.flash("That message is not available.");
  }

  /** The members with their names, roles and read cursors (GET /api/rooms/:id). */
  private async reloadMembers(): Promise<void> {
    try {
      const { room, members } = await this.deps.client.rest.room(this.roomId);
      if (this.destroyed) return;
      this.room = room;
      const store = this.deps.store;
      store.rememberUsers(members.map((m) => m.user));
      const ids = new Set(members.map((m) => m.user.id));
      // Who left may have deleted their account: their messages then show a deleted sender.
      void store.refreshUsers(this.receipts.ids().filter((id) => !ids.has(id)));
      this.receipts.retain(ids);
      for (const m of members) {
        this.receipts.set(m.user.id, m.lastReadSeq);
        if (!store.presence.has(m.user.id)) store.presence.set(m.user.id, m.presence);
      }
      this.renderHeader();
      this.render();
    } catch (err) {
      this.flash((err as Error).message || "Something went wrong.");
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

  /** The list shows the messages listed, then what the outbox still holds for this room. */
  private render(): void {
    const confirmed = this.timeline.messages().map((m) => this.requoted(m));
    this.newestShown = Math.max(this.newestShown, confirmed.at(-1)?.seq ?? 0);
    const pending = this.deps.client.outbox.pending(this.roomId).map((item) => this.pendingRow(item));
    for (const id of this.quotes.keys()) if (!pending.some((p) => p.clientMsgId === id)) this.quotes.delete(id);
    this.log.render(confirmed, pending, this.receipts.cursors());
  }

  /** A reply quotes its original as this page holds it now (edited since, or deleted). */
  private requoted(m: Message): Message {
    const original = m.replyTo && m.replyToSeq !== undefined ? this.timeline.get(m.replyToSeq) : undefined;
    if (!original) return m;
    const quote = excerptOf(original);
    return quote.text === m.replyTo!.text ? m : { ...m, replyTo: quote };
  }

  private pendingRow(item: OutboxItem): PendingMessage {
    const problem = item.failed ?? item.lastError;
    const original = item.replyToSeq !== undefined ? this.timeline.get(item.replyToSeq) : undefined;
    const replyTo = this.quotes.get(item.clientMsgId) ?? (original ? excerptOf(original) : undefined);
    return {
      clientMsgId: item.clientMsgId,
      text: item.text,
      createdAt: item.createdAt,
      status: problem ? "failed" : "sending",
      ...(problem ? { error: problem.message } : {}),
      ...(item.failed ? { permanent: true } : {}),
      ...(replyTo ? { replyTo } : {}),
    };
  }

  private renderHeader(): void {
    this.header.render(this.room, this.receipts.ids());
  }

  private renderHistoryStatus(busy: boolean): void {
    this.log.status(busy ? "Loading earlier messages…" : this.history.atStart ? "This is the beginning of the conversation." : "");
  }

  private flash(text: string): void {
    const note = el("p", { class: "toast", role: "alert" }, text);
    this.root.append(note);
    setTimeout(() => note.remove(), 5_000);
  }
}
