/**
 * Who else is typing in the open room, as the SDK's typing roster says (each until their signal
 * stops, or goes stale because it was not renewed).
 */
import type { TypingRoster } from "@chat-backend/client";
import { el, setText } from "./dom.js";
import type { Store } from "./store.js";

export class TypingLine {
  readonly el = el("p", { class: "typing", "aria-live": "polite" });
  private readonly off: () => void;

  constructor(
    private readonly store: Store,
    roster: TypingRoster,
    roomId: string,
  ) {
    this.off = roster.on("change", (id, userIds) => id === roomId && this.render(userIds));
    this.render(roster.typingIn(roomId));
  }

  destroy(): void {
    this.off();
  }

  private render(userIds: string[]): void {
    const names = userIds.filter((id) => id !== this.store.me.id).map((id) => this.store.userName(id));
    const text =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
    setText(this.el, text);
    this.el.classList.toggle("active", names.length > 0);
  }
}
