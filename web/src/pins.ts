/**
 * The pinned-messages bar at the top of a room: GET /api/rooms/:id/pins when the room opens (and
 * after a reconnect), then kept live from every copy of a message the chat sees (message:updated,
 * a resync's `updated`, an ack): a message gaining `pinnedAt` joins, one losing it (unpinned or
 * deleted) leaves. The newest pin shows; the rest unfold. A click jumps to the message.
 */
import { rest } from "./client.js";
import { el, replaceChildren, setText } from "./dom.js";
import type { Store } from "./store.js";
import type { Message } from "./types.js";

export class PinnedBar {
  readonly el = el("section", { class: "pinned-bar", "aria-label": "Pinned messages", hidden: true });
  private readonly pins = new Map<number, Message>();
  private expanded = false;
  private seenWhileLoading: Message[] | null = null;

  constructor(
    private readonly roomId: string,
    private readonly store: Store,
    private readonly jumpTo: (seq: number) => void,
    private readonly unpin: (message: Message) => void,
  ) {}

  async load(): Promise<void> {
    const seen: Message[] = [];
    this.seenWhileLoading = seen;
    try {
      const { pins } = await rest().pins(this.roomId);
      this.pins.clear();
      for (const m of pins) this.pins.set(m.seq, m);
      void this.store.ensureUsers(pins.map((m) => m.senderId)).then(() => this.render());
    } finally {
      if (this.seenWhileLoading === seen) this.seenWhileLoading = null;
    }
    // Copies seen live while the list was read may be newer: applied again (older ones are ignored by rev).
    for (const m of seen) this.onMessage(m);
    this.render();
  }

  /** Any copy of a message of this room, in its current state. */
  onMessage(message: Message): void {
    if (message.roomId !== this.roomId) return;
    this.seenWhileLoading?.push(message);
    const known = this.pins.get(message.seq);
    if (known && known.rev > message.rev) return;
    if (message.pinnedAt && !message.deletedAt) this.pins.set(message.seq, message);
    else if (!known) return;
    else this.pins.delete(message.seq);
    this.render();
  }

  render(): void {
    const pins = [...this.pins.values()].sort((a, b) => (b.pinnedAt ?? "").localeCompare(a.pinnedAt ?? "") || b.seq - a.seq);
    this.el.hidden = pins.length === 0;
    if (!pins.length) return replaceChildren(this.el);
    if (pins.length < 2) this.expanded = false;
    const item = (m: Message) =>
      el(
        "li",
        { class: "pin", "data-seq": String(m.seq) },
        el(
          "button",
          { type: "button", class: "pin-jump", title: "Show this message", onclick: () => this.jumpTo(m.seq) },
          el("span", { class: "pin-sender" }, `${this.store.userName(m.senderId)}: `),
          el("span", { class: "pin-text" }, m.type === "file" && !m.text ? `📎 ${m.attachments[0]?.name ?? "file"}` : m.text),
        ),
        el("button", { type: "button", class: "link pin-remove", "aria-label": "Unpin message", onclick: () => this.unpin(m) }, "Unpin"),
      );
    const shown = this.expanded ? pins : pins.slice(0, 1);
    const more = el("button", { type: "button", class: "link pin-more", "aria-expanded": String(this.expanded) }, "");
    setText(more, this.expanded ? "Show less" : `${pins.length} pinned`);
    more.hidden = pins.length < 2;
    more.addEventListener("click", () => {
      this.expanded = !this.expanded;
      this.render();
    });
    replaceChildren(this.el, el("span", { class: "pin-icon", "aria-hidden": "true" }, "📌"), el("ul", { class: "pin-list" }, ...shown.map(item)), more);
  }
}
