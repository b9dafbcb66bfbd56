/**
 * The message list of a chat: rows grouped by sender (consecutive messages of one sender within
 * five minutes share a header), each with its "not read by N" count, pending rows from the
 * outbox, the quote of the message it answers, its reactions, and the actions on a message
 * (reply, react, pin; edit and delete one's own). Rows are reconciled, never rebuilt wholesale,
 * so a new message or receipt touches only the rows that changed.
 */
import { avatar, clockTime, el, fullTime, replaceChildren, setText } from "./dom.js";
import { attachmentsView } from "./files.js";
import { mentionNodes } from "./mentions.js";
import { reactionBar, reactionPicker } from "./reactions.js";
import type { Store } from "./store.js";
import { mentionsUser, noticeText } from "./message-text.js";
import type { Message } from "./types.js";
import { personButton } from "./user-menu.js";

const HIGHLIGHT_MS = 2_000;

/** A message of ours not stored yet (in the SDK's outbox), as its row shows it. */
export interface PendingMessage {
  clientMsgId: string;
  text: string;
  createdAt: string;
  /** failed: the last attempt failed (it is retried; a refusal for good only by hand). */
  status: "sending" | "failed";
  error?: string;
  /** Refused for good (blocked, not a member, invalid): only Retry sends it again. */
  permanent?: boolean;
  /** What the answered message said, shown while the reply is pending. */
  replyTo?: Message["replyTo"];
}

const GROUP_GAP_MS = 5 * 60_000;

type Item = { kind: "message"; message: Message } | { kind: "pending"; pending: PendingMessage };

interface Row {
  el: HTMLLIElement;
  sig: string;
}

export interface RowActions {
  edit(message: Message): void;
  remove(message: Message): void;
  retry(clientMsgId: string): void;
  discard(clientMsgId: string): void;
  reply(message: Message): void;
  react(message: Message, emoji: string, add: boolean): void;
  pin(message: Message, pinned: boolean): void;
  /** Report someone else's message to the room's moderators and the operators. */
  report(message: Message): void;
  /** The quote of a reply was clicked: show message `seq`. */
  jumpTo(seq: number): void;
}

export class MessageList {
  readonly el = el("ol", { class: "messages" });
  private readonly rows = new Map<string, Row>();
  /** The message whose reaction picker is open. */
  private pickerFor: number | null = null;
  private highlighted: number | null = null;
  private highlightTimer = 0;
  private last: [Message[], PendingMessage[], number[]] = [[], [], []];

  constructor(
    private readonly store: Store,
    private readonly actions: RowActions,
  ) {
    // One listener for every quote: a click shows the message it quotes.
    this.el.addEventListener("click", (e) => {
      const quote = (e.target as Element).closest<HTMLElement>("button.quote");
      if (quote?.dataset.seq) this.actions.jumpTo(Number(quote.dataset.seq));
    });
  }

  /**
   * Shows `confirmed` (ascending seq), then the `pending` messages not among them yet.
   * `cursors` are the members' read cursors, sorted ascending (PROTOCOL.md: message s is unread
   * by every member whose lastReadSeq < s).
   */
  render(confirmed: Message[], pending: PendingMessage[], cursors: number[]): void {
    this.last = [confirmed, pending, cursors];
    const me = this.store.me.id;
    const delivered = new Set(confirmed.filter((m) => m.senderId === me && m.clientMsgId).map((m) => m.clientMsgId));
    const items: Item[] = confirmed.map((message) => ({ kind: "message", message }));
    for (const p of pending) if (!delivered.has(p.clientMsgId)) items.push({ kind: "pending", pending: p });

    const keys = new Set<string>();
    const ordered: HTMLLIElement[] = [];
    let prev: { sender: string; at: number; system: boolean } | null = null;
    for (const item of items) {
      const sender = item.kind === "message" ? item.message.senderId : me;
      const createdAt = item.kind === "message" ? item.message.createdAt : item.pending.createdAt;
      const at = Date.parse(createdAt);
      const system = item.kind === "message" && item.message.type === "system";
      const continued = !!prev && !system && !prev.system && prev.sender === sender && at - prev.at < GROUP_GAP_MS;
      prev = { sender, at, system };
      // One's own message keeps its row from "sending" to stored: keyed by its clientMsgId.
      const key =
        item.kind === "pending" ? `c:${item.pending.clientMsgId}` : item.message.senderId === me && item.message.clientMsgId ? `c:${item.message.clientMsgId}` : `s:${item.message.seq}`;
      keys.add(key);
      const unread = item.kind === "message" && !item.message.deletedAt ? countBelow(cursors, item.message.seq) : 0;
      ordered.push(this.row(key, item, continued, unread));
    }
    for (const [key, row] of this.rows) {
      if (!keys.has(key)) {
        row.el.remove();
        this.rows.delete(key);
      }
    }
    let ref: ChildNode | null = this.el.firstChild;
    for (const node of ordered) {
      if (node === ref) ref = ref.nextSibling;
      else this.el.insertBefore(node, ref);
    }
  }

  /** The row of message `seq`, if shown. */
  rowOf(seq: number): HTMLLIElement | null {
    return this.el.querySelector<HTMLLIElement>(`li[data-seq="${seq}"]`);
  }

  /** Marks message `seq` for a moment (after a jump to it). */
  highlight(seq: number): void {
    clearTimeout(this.highlightTimer);
    if (this.highlighted !== null) this.rowOf(this.highlighted)?.classList.remove("highlight");
    this.highlighted = seq;
    this.rowOf(seq)?.classList.add("highlight");
    this.highlightTimer = window.setTimeout(() => {
      this.rowOf(seq)?.classList.remove("highlight");
      this.highlighted = null;
    }, HIGHLIGHT_MS);
  }

  private togglePicker(seq: number | null): void {
    this.pickerFor = this.pickerFor === seq ? null : seq;
    this.render(...this.last);
    if (this.pickerFor !== null) this.rowOf(this.pickerFor)?.querySelector<HTMLButtonElement>(".react-picker button")?.focus();
  }

  private row(key: string, item: Item, continued: boolean, unread: number): HTMLLIElement {
    const store = this.store;
    const me = store.me.id;
    const m = item.kind === "message" ? item.message : null;
    const p = item.kind === "pending" ? item.pending : null;
    const sender = m ? m.senderId : me;
    const mine = sender === me;
    const name = store.userName(sender);
    const quote = m ? m.replyTo : p!.replyTo;
    const picker = m !== null && this.pickerFor === m.seq;
    const mentionNames = (m?.mentions ?? []).map((id) => store.userName(id));
    const sig = JSON.stringify([
      m?.seq, m?.rev, m?.text ?? p?.text, m?.editedAt, m?.deletedAt, p?.status, p?.error, continued, unread, name,
      quote, quote ? store.userName(quote.senderId) : null, m?.reactions, m?.pinnedAt, mentionNames, m?.mentionsRoom, picker,
      m?.reactions?.map((r) => r.userIds.map((id) => store.userName(id))),
    ]);
    let row = this.rows.get(key);
    if (row && row.sig === sig) return row.el;
    if (!row) {
      row = { el: el("li"), sig: "" };
      this.rows.set(key, row);
    }
    row.sig = sig;
    const li = row.el;
    const createdAt = m ? m.createdAt : p!.createdAt;
    const system = m?.type === "system";
    li.className = [
      "msg",
      mine ? "mine" : "theirs",
      continued ? "continued" : "",
      p ? `pending ${p.status}` : "",
      m?.deletedAt ? "deleted" : "",
      system ? "system" : "",
      m && !system && mentionsUser(m, me) ? "mentions-me" : "",
      m?.pinnedAt ? "pinned" : "",
      m && this.highlighted === m.seq ? "highlight" : "",
    ]
      .filter(Boolean)
      .join(" ");
    if (m) li.dataset.seq = String(m.seq);
    else delete li.dataset.seq;

    // A system message (a pin notice) says who did it in its text: no header.
    const head = continued || system
      ? null
      : el(
          "div",
          { class: "msg-head" },
          mine ? null : avatar(sender, name),
          mine ? null : personButton(store, sender, name, "sender"),
          el("time", { datetime: createdAt, title: fullTime(createdAt) }, clockTime(createdAt)),
        );

    const bubble = el("div", { class: "bubble", title: fullTime(createdAt) });
    if (m?.deletedAt) bubble.append(el("span", { class: "text" }, "Message deleted"));
    else if (system) {
      bubble.append(el("span", { class: "system-text" }, noticeText(m, name)));
      if (quote) bubble.append(this.quote(quote));
    } else {
      if (quote) bubble.append(this.quote(quote));
      // User text goes in as text nodes, never as HTML.
      bubble.append(el("span", { class: "text" }, ...(m ? mentionNodes(m, (id) => store.userName(id), me) : [p!.text])));
      if (m?.type === "file" && m.attachments.length) bubble.append(attachmentsView(m.attachments));
      if (m?.editedAt) bubble.append(el("span", { class: "edited", title: `edited ${fullTime(m.editedAt)}` }, " (edited)"));
    }
    if (m?.pinnedAt && !m.deletedAt) bubble.append(el("span", { class: "pin-mark", title: `pinned ${fullTime(m.pinnedAt)}`, "aria-label": "pinned" }, " 📌"));

    const side = el("div", { class: "msg-side" });
    if (unread > 0) {
      side.append(el("span", { class: "unread", title: `${unread} ${unread === 1 ? "member has" : "members have"} not read this`, "aria-label": `unread by ${unread}` }, String(unread)));
    }
    if (p) {
      if (p.status === "sending") side.append(el("span", { class: "status" }, "Sending…"));
      else
        side.append(
          // A refusal for good (blocked, not a member) says why; a network failure just "Not sent".
          el("span", { class: "status", role: "alert", title: p.error ?? "" }, p.permanent && p.error ? `Not sent: ${p.error}` : "Not sent"),
          el("button", { type: "button", class: "retry", onclick: () => this.actions.retry(p.clientMsgId) }, "Retry"),
          el("button", { type: "button", class: "link discard", onclick: () => this.actions.discard(p.clientMsgId) }, "Discard"),
        );
    }
    if (m && !m.deletedAt && !system) side.append(this.messageActions(m, mine));
    const toggle = (message: Message, emoji: string, add: boolean) => this.actions.react(message, emoji, add);
    replaceChildren(
      li,
      head,
      el("div", { class: "msg-body" }, bubble, side),
      m ? reactionBar(store, m, toggle) : null,
      picker && m ? reactionPicker(m, toggle, () => this.togglePicker(null)) : null,
    );
    return li;
  }

  private quote(quote: NonNullable<Message["replyTo"]>): HTMLElement {
    const who = this.store.userName(quote.senderId);
    return el(
      "button",
      { type: "button", class: quote.text === null ? "quote gone" : "quote", "data-seq": String(quote.seq), "aria-label": `Reply to ${who}: show the original message` },
      el("span", { class: "quote-sender" }, who),
      el("span", { class: "quote-text" }, quote.text === null ? "deleted message" : quote.text),
    );
  }

  private messageActions(m: Message, mine: boolean): HTMLElement {
    const actions = el(
      "span",
      { class: "actions" },
      el("button", { type: "button", class: "link", "aria-label": "Reply to message", onclick: () => this.actions.reply(m) }, "Reply"),
      el("button", { type: "button", class: "link", "aria-label": "React to message", "aria-expanded": String(this.pickerFor === m.seq), onclick: () => this.togglePicker(m.seq) }, "React"),
      el("button", { type: "button", class: "link", "aria-label": m.pinnedAt ? "Unpin message" : "Pin message", onclick: () => this.actions.pin(m, !m.pinnedAt) }, m.pinnedAt ? "Unpin" : "Pin"),
    );
    if (!mine) actions.append(el("button", { type: "button", class: "link", "aria-label": "Report message", onclick: () => this.actions.report(m) }, "Report"));
    if (mine && m.type === "text") {
      // Delete asks once more on the same button (no modal dialog).
      const del = el("button", { type: "button", class: "link danger", "aria-label": "Delete message" }, "Delete");
      let armed = 0;
      del.addEventListener("click", () => {
        if (armed) {
          clearTimeout(armed);
          this.actions.remove(m);
          return;
        }
        setText(del, "Really delete?");
        armed = window.setTimeout(() => {
          armed = 0;
          setText(del, "Delete");
        }, 4_000);
      });
      actions.append(el("button", { type: "button", class: "link", "aria-label": "Edit message", onclick: () => this.actions.edit(m) }, "Edit"), del);
    }
    return actions;
  }
}

/** How many sorted read cursors are below `seq`: the members who have not read message `seq`. */
export function countBelow(sorted: number[], seq: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
