/**
 * The message list of a chat: rows grouped by sender (consecutive messages of one sender within
 * five minutes share a header), each with its "not read by N" count, pending rows from the
 * outbox, and the actions on one's own messages. Rows are reconciled, never rebuilt wholesale,
 * so a new message or receipt touches only the rows that changed.
 */
import { avatar, clockTime, el, fullTime, replaceChildren, setText } from "./dom.js";
import { attachmentsView } from "./files.js";
import type { PendingMessage } from "./outbox.js";
import type { Store } from "./store.js";
import type { Message } from "./types.js";

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
}

export class MessageList {
  readonly el = el("ol", { class: "messages" });
  private readonly rows = new Map<string, Row>();

  constructor(
    private readonly store: Store,
    private readonly actions: RowActions,
  ) {}

  /**
   * Shows `confirmed` (ascending seq), then the `pending` messages not among them yet.
   * `cursors` are the members' read cursors, sorted ascending (PROTOCOL.md: message s is unread
   * by every member whose lastReadSeq < s).
   */
  render(confirmed: Message[], pending: PendingMessage[], cursors: number[]): void {
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

  private row(key: string, item: Item, continued: boolean, unread: number): HTMLLIElement {
    const me = this.store.me.id;
    const m = item.kind === "message" ? item.message : null;
    const p = item.kind === "pending" ? item.pending : null;
    const sender = m ? m.senderId : me;
    const mine = sender === me;
    const name = this.store.userName(sender);
    const sig = JSON.stringify([m?.seq, m?.text ?? p?.text, m?.editedAt, m?.deletedAt, p?.status, p?.error, continued, unread, name]);
    let row = this.rows.get(key);
    if (row && row.sig === sig) return row.el;
    if (!row) {
      row = { el: el("li"), sig: "" };
      this.rows.set(key, row);
    }
    row.sig = sig;
    const li = row.el;
    const createdAt = m ? m.createdAt : p!.createdAt;
    li.className = ["msg", mine ? "mine" : "theirs", continued ? "continued" : "", p ? `pending ${p.status}` : "", m?.deletedAt ? "deleted" : "", m?.type === "system" ? "system" : ""]
      .filter(Boolean)
      .join(" ");
    if (m) li.dataset.seq = String(m.seq);
    else delete li.dataset.seq;

    const head = continued
      ? null
      : el(
          "div",
          { class: "msg-head" },
          mine ? null : avatar(sender, name),
          mine ? null : el("span", { class: "sender" }, name),
          el("time", { datetime: createdAt, title: fullTime(createdAt) }, clockTime(createdAt)),
        );

    const bubble = el("div", { class: "bubble", title: fullTime(createdAt) });
    if (m?.deletedAt) bubble.append(el("span", { class: "text" }, "Message deleted"));
    else {
      // User text goes in as a text node, never as HTML.
      bubble.append(el("span", { class: "text" }, m ? m.text : p!.text));
      if (m?.type === "file" && m.attachments.length) bubble.append(attachmentsView(m.attachments));
      if (m?.editedAt) bubble.append(el("span", { class: "edited", title: `edited ${fullTime(m.editedAt)}` }, " (edited)"));
    }

    const side = el("div", { class: "msg-side" });
    if (unread > 0) {
      side.append(el("span", { class: "unread", title: `${unread} ${unread === 1 ? "member has" : "members have"} not read this`, "aria-label": `unread by ${unread}` }, String(unread)));
    }
    if (p) {
      if (p.status === "sending") side.append(el("span", { class: "status" }, "Sending…"));
      else
        side.append(
          el("span", { class: "status", role: "alert", title: p.error ?? "" }, "Not sent"),
          el("button", { type: "button", class: "retry", onclick: () => this.actions.retry(p.clientMsgId) }, "Retry"),
          el("button", { type: "button", class: "link discard", onclick: () => this.actions.discard(p.clientMsgId) }, "Discard"),
        );
    }
    if (m && mine && !m.deletedAt && m.type === "text") {
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
      side.append(el("span", { class: "actions" }, el("button", { type: "button", class: "link", "aria-label": "Edit message", onclick: () => this.actions.edit(m) }, "Edit"), del));
    }
    replaceChildren(li, head, el("div", { class: "msg-body" }, bubble, side));
    return li;
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
