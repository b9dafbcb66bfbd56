/**
 * The scrolling message log of an open room, under its history status line. It stays at the
 * newest message while the reader is there, offers a jump down when a newer one comes while
 * they are not, keeps the message being read in place when older history goes in above it,
 * and asks for that older history near the top.
 */
import { el, setText } from "./dom.js";
import type { MessageList, PendingMessage } from "./message-list.js";
import type { Message } from "./types.js";

const NEAR_TOP_PX = 300;
const NEAR_BOTTOM_PX = 48;

export interface ScrollHooks {
  /** Whether the history is loaded: before it, there is no newest message to stay at. */
  loaded(): boolean;
  /** Scrolled near the top: older history is wanted. */
  nearTop(): void;
  /** The newest message may be on screen now. */
  atNewest(): void;
}

export class ChatScroll {
  readonly el = el("div", { class: "chat-scroll", role: "log", "aria-labelledby": "chat-title", tabindex: "0" });
  /** Outside the log: it stays put while the log scrolls. */
  readonly jump = el("button", { type: "button", class: "jump", hidden: true }, "New messages ↓");
  private readonly historyStatus = el("p", { class: "history-status" });
  /** Whether the reader was at the newest message at the last scroll. */
  private pinned = true;
  private readonly resize: ResizeObserver;

  constructor(
    private readonly list: MessageList,
    private readonly hooks: ScrollHooks,
  ) {
    this.el.append(this.historyStatus, list.el);
    this.el.addEventListener("scroll", () => this.onScroll(), { passive: true });
    // The view resizes (phone keyboard, composer growing, shown again after the Friends tab on
    // a phone): stay pinned to the newest message if we were, and read what is now on screen.
    this.resize = new ResizeObserver(() => {
      if (this.pinned && hooks.loaded()) this.el.scrollTop = this.el.scrollHeight;
      hooks.atNewest();
    });
    this.resize.observe(this.el);
    this.jump.addEventListener("click", () => this.toBottom());
  }

  destroy(): void {
    this.resize.disconnect();
  }

  atBottom(): boolean {
    const s = this.el;
    return s.scrollHeight - s.scrollTop - s.clientHeight < NEAR_BOTTOM_PX;
  }

  /** Whether the newest message is really on screen: a hidden view (phone layout on another tab) shows nothing. */
  newestOnScreen(): boolean {
    return document.visibilityState === "visible" && this.el.clientHeight > 0 && this.atBottom();
  }

  toBottom(): void {
    this.el.scrollTop = this.el.scrollHeight;
    this.pinned = true;
    this.jump.hidden = true;
    this.hooks.atNewest();
  }

  /** A newer message came while the reader is up in the history. */
  offerJump(): void {
    this.jump.hidden = false;
  }

  /** Renders the list, staying at the newest message if the reader was there. */
  render(confirmed: Message[], pending: PendingMessage[], cursors: number[]): void {
    const wasAtBottom = this.atBottom();
    this.list.render(confirmed, pending, cursors);
    if (wasAtBottom && this.hooks.loaded()) this.el.scrollTop = this.el.scrollHeight;
  }

  /** Measures before older messages go in above; the function returned puts the reader's message back in place. */
  keepPlace(): () => void {
    const before = { height: this.el.scrollHeight, top: this.el.scrollTop };
    return () => {
      this.el.scrollTop = before.top + (this.el.scrollHeight - before.height);
    };
  }

  /** Whether the list leaves the log unfilled: no scroll event would ever come to ask for more. */
  unfilled(): boolean {
    const s = this.el;
    return s.clientHeight > 0 && s.scrollHeight <= s.clientHeight + NEAR_TOP_PX;
  }

  /** Scrolls message `seq` to the middle and marks it for a moment; false when it is not in the list. */
  reveal(seq: number): boolean {
    const row = this.list.rowOf(seq);
    if (!row) return false;
    row.scrollIntoView({ block: "center" });
    this.pinned = this.atBottom();
    this.list.highlight(seq);
    return true;
  }

  busy(busy: boolean): void {
    if (busy) this.el.setAttribute("aria-busy", "true");
    else this.el.removeAttribute("aria-busy");
  }

  status(text: string): void {
    setText(this.historyStatus, text);
  }

  private onScroll(): void {
    if (this.el.clientHeight > 0) this.pinned = this.atBottom();
    if (this.el.scrollTop < NEAR_TOP_PX && this.hooks.loaded()) this.hooks.nearTop();
    if (this.atBottom()) {
      this.jump.hidden = true;
      this.hooks.atNewest();
    }
  }
}
