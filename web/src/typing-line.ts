/** Who else is typing in the open room, each until their signal stops or goes stale. */
import { el, setText } from "./dom.js";
import type { Store } from "./store.js";

/** A "typing" signal is repeated while typing goes on: one not repeated for this long is stale. */
const TYPING_SHOWN_MS = 6_000;

export class TypingLine {
  readonly el = el("p", { class: "typing", "aria-live": "polite" });
  private readonly typing = new Map<string, number>();

  constructor(private readonly store: Store) {}

  set(userId: string, isTyping: boolean): void {
    clearTimeout(this.typing.get(userId));
    if (isTyping) {
      this.typing.set(
        userId,
        window.setTimeout(() => {
          this.typing.delete(userId);
          this.render();
        }, TYPING_SHOWN_MS),
      );
    } else this.typing.delete(userId);
    this.render();
  }

  destroy(): void {
    for (const t of this.typing.values()) clearTimeout(t);
  }

  private render(): void {
    const names = [...this.typing.keys()].map((id) => this.store.userName(id));
    const text =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
    setText(this.el, text);
    this.el.classList.toggle("active", names.length > 0);
  }
}
