/**
 * Reactions under a message: one chip per emoji with its count (the reader's own pressed), a
 * click toggles the reader's reaction; and the picker a message's "React" action opens, with
 * the common emoji and a box for any other emoji or :shortcode:.
 */
import { el } from "./dom.js";
import type { Store } from "./store.js";
import type { Message } from "./types.js";

export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢"] as const;

export type Toggle = (message: Message, emoji: string, add: boolean) => void;

/** The chips of a message's reactions (null when it has none). */
export function reactionBar(store: Store, message: Message, toggle: Toggle): HTMLElement | null {
  const reactions = message.reactions ?? [];
  if (!reactions.length || message.deletedAt) return null;
  return el(
    "div",
    { class: "reactions", role: "group", "aria-label": "Reactions" },
    ...reactions.map((r) => {
      const names = r.userIds.map((id) => store.userName(id));
      const others = r.count - r.userIds.length;
      const who = names.join(", ") + (others > 0 ? ` and ${others} more` : "");
      return el(
        "button",
        {
          type: "button",
          class: r.me ? "reaction me" : "reaction",
          "aria-pressed": String(!!r.me),
          "aria-label": `${r.emoji} ${r.count}${r.me ? ", you reacted" : ""}`,
          title: who,
          "data-emoji": r.emoji,
          onclick: () => toggle(message, r.emoji, !r.me),
        },
        el("span", { class: "reaction-emoji" }, r.emoji),
        el("span", { class: "reaction-count" }, String(r.count)),
      );
    }),
  );
}

/** The picker: common emoji, then a free box (Enter adds). `done` closes it. */
export function reactionPicker(message: Message, toggle: Toggle, done: () => void): HTMLElement {
  const mine = new Set((message.reactions ?? []).filter((r) => r.me).map((r) => r.emoji));
  const choose = (emoji: string) => {
    done();
    toggle(message, emoji, !mine.has(emoji));
  };
  const input = el("input", { name: "emoji", class: "emoji-input", "aria-label": "Other emoji", placeholder: "🙂 or :shortcode:", maxlength: "34", autocomplete: "off", size: "10" });
  const form = el("form", { class: "emoji-form" }, input, el("button", { type: "submit", class: "secondary" }, "Add"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const emoji = input.value.trim();
    if (emoji) choose(emoji);
  });
  const picker = el(
    "div",
    { class: "react-picker", role: "group", "aria-label": "Pick a reaction" },
    ...COMMON_EMOJI.map((emoji) =>
      el("button", { type: "button", class: mine.has(emoji) ? "emoji me" : "emoji", "aria-label": `React ${emoji}`, "aria-pressed": String(mine.has(emoji)), onclick: () => choose(emoji) }, emoji),
    ),
    form,
    el("button", { type: "button", class: "link", "aria-label": "Close reactions", onclick: () => done() }, "×"),
  );
  picker.addEventListener("keydown", (e) => {
    if (e.key === "Escape") done();
  });
  return picker;
}
