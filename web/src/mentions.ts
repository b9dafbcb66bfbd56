/**
 * Mentions in the composer and in messages. Typing "@" opens a list of the room's members (and
 * "@room" for everyone); picking one puts "@Name " in the text and remembers whose name it was,
 * so the message is sent with that user's id in `mentions` (and `mentionsRoom` for @room or
 * @everyone). In the list, messages that mention the reader are marked and the names shown.
 */
import { avatar, el, replaceChildren } from "./dom.js";
import type { Message } from "./types.js";

export interface MentionCandidate {
  id: string;
  name: string;
}

const ROOM_WORDS = ["room", "everyone"] as const;
const MAX_SHOWN = 8;
const ROOM_MENTION = /(^|[^\p{L}\p{N}_])@(room|everyone)(?![\p{L}\p{N}_])/iu;

/** The ids and room flag a text mentions: names picked from the list, or typed in full. */
export function mentionsOf(text: string, picked: Map<string, string>, members: MentionCandidate[]): { mentions: string[]; mentionsRoom: boolean } {
  const ids = new Set<string>();
  for (const [id, name] of picked) if (hasToken(text, `@${name}`)) ids.add(id);
  // Typed by hand: a member whose name is unique in the room.
  const byName = new Map<string, string[]>();
  for (const m of members) byName.set(m.name, [...(byName.get(m.name) ?? []), m.id]);
  for (const [name, owners] of byName) if (owners.length === 1 && hasToken(text, `@${name}`)) ids.add(owners[0]!);
  return { mentions: [...ids], mentionsRoom: ROOM_MENTION.test(text) };
}

/** `token` in `text`, not glued to a letter or digit on its right ("@Ann" is not in "@Anna"). */
function hasToken(text: string, token: string): boolean {
  let at = text.indexOf(token);
  while (at >= 0) {
    const after = text.slice(at + token.length, at + token.length + 2);
    if (!/^[\p{L}\p{N}_]/u.test(after)) return true;
    at = text.indexOf(token, at + 1);
  }
  return false;
}

/**
 * The text of a message as nodes, with each "@Name" of a mentioned user (and "@room") in a
 * span.mention, ".me" for the reader. Text nodes only: user text is never parsed as HTML.
 */
export function mentionNodes(message: Message, nameOf: (id: string) => string, myId: string): Node[] {
  const tokens = new Map<string, boolean>();
  for (const id of message.mentions ?? []) tokens.set(`@${nameOf(id)}`, id === myId);
  if (message.mentionsRoom) for (const w of ROOM_WORDS) tokens.set(`@${w}`, message.senderId !== myId);
  const text = message.text;
  if (!tokens.size) return [document.createTextNode(text)];
  const ordered = [...tokens.keys()].sort((a, b) => b.length - a.length);
  const roomTokens = new Set(ROOM_WORDS.map((w) => `@${w}`));
  const nodes: Node[] = [];
  let plain = "";
  let i = 0;
  while (i < text.length) {
    const token = ordered.find((t) => {
      const piece = text.slice(i, i + t.length);
      const same = roomTokens.has(t) ? piece.toLowerCase() === t : piece === t;
      return same && !/^[\p{L}\p{N}_]/u.test(text.slice(i + t.length, i + t.length + 2));
    });
    if (!token) {
      plain += text[i];
      i++;
      continue;
    }
    if (plain) nodes.push(document.createTextNode(plain));
    plain = "";
    nodes.push(el("span", { class: tokens.get(token) ? "mention me" : "mention" }, text.slice(i, i + token.length)));
    i += token.length;
  }
  if (plain) nodes.push(document.createTextNode(plain));
  return nodes;
}

/**
 * The autocomplete under the composer. The chat gives it the textarea and, on each keydown,
 * asks `handleKey` first: while the list is open, arrows move, Enter/Tab pick, Escape closes.
 */
export class MentionPicker {
  readonly el = el("ul", { class: "mention-list", role: "listbox", id: "mention-list", "aria-label": "Mention someone", hidden: true });
  /** Who was picked, id → the name inserted; cleared with the composer. */
  readonly picked = new Map<string, string>();
  private options: (MentionCandidate | { id: "@room"; name: string })[] = [];
  private active = 0;
  /** Where the "@" being completed is in the text. */
  private start = -1;

  constructor(
    private readonly input: HTMLTextAreaElement,
    private readonly candidates: () => MentionCandidate[],
  ) {
    input.setAttribute("aria-controls", this.el.id);
    input.setAttribute("aria-autocomplete", "list");
    input.addEventListener("input", () => this.update());
    input.addEventListener("click", () => this.update());
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  get open(): boolean {
    return !this.el.hidden;
  }

  /** True when the key was for the list (the caller then does nothing else with it). */
  handleKey(e: KeyboardEvent): boolean {
    if (!this.open || e.isComposing) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = this.options.length;
      this.active = (this.active + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
      this.render();
      return true;
    }
    if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      this.pick(this.active);
      return true;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      this.close();
      return true;
    }
    return false;
  }

  reset(): void {
    this.picked.clear();
    this.close();
  }

  close(): void {
    this.el.hidden = true;
    this.start = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.input.setAttribute("aria-expanded", "false");
  }

  /** Opens, filters or closes the list from the text just before the caret. */
  private update(): void {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const match = /(^|\s)@([^\s@]{0,30})$/u.exec(before);
    if (!match) return this.close();
    const query = match[2]!.toLowerCase();
    this.start = caret - match[2]!.length - 1;
    const people = this.candidates()
      .filter((c) => c.name.toLowerCase().split(/\s+/).some((part) => part.startsWith(query)) || c.name.toLowerCase().startsWith(query))
      .sort((a, b) => a.name.localeCompare(b.name))
      .slice(0, MAX_SHOWN);
    const room = ROOM_WORDS.filter((w) => w.startsWith(query)).slice(0, 1).map((w) => ({ id: "@room" as const, name: w }));
    this.options = [...people, ...room];
    if (!this.options.length) return this.close();
    this.active = Math.min(this.active, this.options.length - 1);
    this.el.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.render();
  }

  private render(): void {
    replaceChildren(
      this.el,
      ...this.options.map((o, i) => {
        const item = el(
          "li",
          { role: "option", id: `mention-option-${i}`, class: "mention-option", "aria-selected": String(i === this.active), "data-user-id": o.id },
          o.id === "@room" ? el("span", { class: "avatar", "aria-hidden": "true" }, "@") : avatar(o.id, o.name),
          el("span", { class: "mention-name" }, o.id === "@room" ? `@${o.name}` : o.name),
          o.id === "@room" ? el("span", { class: "muted" }, "notify everyone here") : null,
        );
        // mousedown, not click: the textarea keeps its focus (and caret).
        item.addEventListener("mousedown", (e) => {
          e.preventDefault();
          this.pick(i);
        });
        return item;
      }),
    );
    this.input.setAttribute("aria-activedescendant", `mention-option-${this.active}`);
  }

  private pick(i: number): void {
    const option = this.options[i];
    if (!option || this.start < 0) return this.close();
    const caret = this.input.selectionStart ?? this.input.value.length;
    const value = this.input.value;
    const inserted = `@${option.name} `;
    this.input.value = value.slice(0, this.start) + inserted + value.slice(caret);
    const at = this.start + inserted.length;
    this.input.setSelectionRange(at, at);
    if (option.id !== "@room") this.picked.set(option.id, option.name);
    this.close();
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
