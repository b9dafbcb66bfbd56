/**
 * Message search above the room list: typing (debounced) or Enter asks
 * GET /api/search/messages and shows the results in place of the list; Escape or an empty box
 * brings the list back. Snippets come as plain text plus UTF-16 ranges, rendered as text nodes
 * and <mark> elements (never parsed as HTML: a message may itself contain "<mark>").
 */
import { ChatError } from "@chat-backend/client";
import { rest } from "./client.js";
import { el, replaceChildren, setText, shortTime, fullTime } from "./dom.js";
import type { SearchResult, SearchSnippet } from "./types.js";

const DEBOUNCE_MS = 250;
const QUERY_MAX = 200;
const PAGE = 30;

const searchMessages = (q: string, cursor: string | null, signal: AbortSignal) =>
  rest().call("searchMessages", { query: { q, limit: PAGE, ...(cursor ? { cursor } : {}) }, signal });

/** The snippet's text with each highlighted range in a <mark> (ranges sorted, clamped, overlaps skipped). */
export function snippetNodes(snippet: SearchSnippet): Node[] {
  const { text } = snippet;
  const ranges = [...snippet.highlights].sort((x, y) => x.start - y.start);
  const nodes: Node[] = [];
  let at = 0;
  for (const { start, end } of ranges) {
    const s = Math.max(at, Math.min(start, text.length));
    const e = Math.min(end, text.length);
    if (e <= s) continue;
    if (s > at) nodes.push(document.createTextNode(text.slice(at, s)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(s, e);
    nodes.push(mark);
    at = e;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

export class MessageSearch {
  readonly root: HTMLElement;
  /** Shown instead of the room list while a query is active. */
  readonly panel = el("section", { class: "search-results", "aria-label": "Search results", hidden: true });
  private readonly input = el("input", {
    type: "search",
    name: "q",
    placeholder: "Search messages",
    "aria-label": "Search messages",
    autocomplete: "off",
    spellcheck: "false",
    maxlength: String(QUERY_MAX),
  });
  private readonly status = el("p", { class: "search-status muted", role: "status", "aria-live": "polite" });
  private readonly list = el("ul", { class: "search-list" });
  private readonly more = el("button", { type: "button", class: "secondary search-more", hidden: true }, "More results");
  private timer = 0;
  private abort: AbortController | null = null;
  private query = "";
  private cursor: string | null = null;

  constructor(private readonly onActive: (active: boolean) => void) {
    const form = el("form", { role: "search", class: "find message-search" }, this.input);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.run(true);
    });
    this.input.addEventListener("input", () => this.run(false));
    this.input.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      this.input.value = "";
      this.run(true);
    });
    this.more.addEventListener("click", () => void this.load(false));
    this.root = form;
    this.panel.append(this.status, this.list, this.more);
  }

  destroy(): void {
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  /** Searches for the box's text now (Enter) or after a pause in typing. */
  private run(now: boolean): void {
    clearTimeout(this.timer);
    this.timer = 0;
    const q = this.input.value.trim();
    if (!q) return this.close();
    if (now) void this.start(q);
    else this.timer = window.setTimeout(() => void this.start(q), DEBOUNCE_MS);
  }

  private close(): void {
    this.abort?.abort();
    this.abort = null;
    this.query = "";
    this.panel.hidden = true;
    this.onActive(false);
  }

  private async start(q: string): Promise<void> {
    this.query = q;
    this.cursor = null;
    this.panel.hidden = false;
    this.onActive(true);
    await this.load(true);
  }

  private async load(first: boolean): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    if (first) setText(this.status, "Searching…");
    this.more.disabled = true;
    try {
      const { results, nextCursor } = await searchMessages(this.query, first ? null : this.cursor, abort.signal);
      if (abort.signal.aborted) return;
      const items = results.map((r) => this.item(r));
      if (first) replaceChildren(this.list, ...items);
      else this.list.append(...items);
      this.cursor = nextCursor;
      this.more.hidden = !nextCursor;
      setText(this.status, this.list.childElementCount ? "" : "No results");
    } catch (err) {
      if (abort.signal.aborted || (err as Error).name === "AbortError") return;
      if (first) replaceChildren(this.list);
      this.more.hidden = true;
      setText(this.status, err instanceof ChatError ? err.message : "Search failed.");
    } finally {
      this.more.disabled = false;
    }
  }

  private item(r: SearchResult): HTMLElement {
    const link = el(
      "a",
      { href: `#/room/${encodeURIComponent(r.room.id)}`, class: "room-item search-hit" },
      el(
        "span",
        { class: "room-main" },
        el(
          "span",
          { class: "room-top" },
          el("span", { class: "room-name" }, r.room.name || "Untitled"),
          el("time", { class: "room-time", datetime: r.message.createdAt, title: fullTime(r.message.createdAt) }, shortTime(r.message.createdAt)),
        ),
        el("span", { class: "search-snippet" }, ...snippetNodes(r.snippet)),
      ),
    );
    return el("li", { "data-room-id": r.room.id, "data-message-id": r.message.id }, link);
  }
}
