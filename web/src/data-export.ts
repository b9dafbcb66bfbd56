/**
 * "Export my data" (POST /api/me/export, then GET /api/me/exports/:id until it is ready): the
 * archive is built in the background; once ready it is fetched with the bearer token (a plain
 * link could not send it) and offered as a file the browser saves. The export's id is kept in
 * localStorage, so a reload picks up where it was.
 */
import { ChatError } from "@chat-backend/client";
import { rest } from "./client.js";
import { el, fullTime, replaceChildren, setText } from "./dom.js";
import type { AccountExport } from "./types.js";

const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 5_000;

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export class DataExport {
  readonly root: HTMLElement;
  private readonly button = el("button", { type: "button" }, "Export my data");
  private readonly status = el("p", { class: "muted export-status", role: "status", "aria-live": "polite" });
  private readonly result = el("div", { class: "export-result" });
  private readonly key: string;
  private timer = 0;
  private objectUrl: string | null = null;
  private abort = new AbortController();
  private destroyed = false;

  constructor(userId: string) {
    this.key = `chat.export.${userId}`;
    this.button.addEventListener("click", () => void this.start());
    this.root = el(
      "section",
      { class: "card settings-section", "aria-labelledby": "export-title" },
      el("h2", { id: "export-title" }, "Your data"),
      el("p", {}, "Get a copy of everything of yours: your profile, friends, follows and blocks, your rooms, every message you sent, your files, songs and playlists. It is one file of JSON lines, kept for 7 days."),
      this.button,
      this.status,
      this.result,
    );
    const known = localStorage.getItem(this.key);
    if (known) void this.poll(known, POLL_FIRST_MS, false);
  }

  destroy(): void {
    this.destroyed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
  }

  private async start(): Promise<void> {
    clearTimeout(this.timer);
    this.button.disabled = true;
    replaceChildren(this.result);
    setText(this.status, "Asking for your archive…");
    try {
      const { export: started } = await rest().call("requestExport");
      localStorage.setItem(this.key, started.id);
      this.show(started);
      if (started.status === "pending") this.schedule(started.id, POLL_FIRST_MS);
    } catch (err) {
      this.button.disabled = false;
      setText(this.status, `Could not start the export: ${(err as Error).message}`);
    }
  }

  private schedule(id: string, wait: number): void {
    if (this.destroyed) return;
    this.timer = window.setTimeout(() => void this.poll(id, Math.min(wait * 2, POLL_MAX_MS)), wait);
  }

  private async poll(id: string, next: number, fresh = true): Promise<void> {
    try {
      const { export: current } = await rest().call("exportStatus", { params: { id } });
      if (this.destroyed) return;
      this.show(current, fresh);
      if (current.status === "pending") this.schedule(id, next);
    } catch (err) {
      if (this.destroyed) return;
      // A stored id of an export that is gone (or someone else's): forget it.
      if (err instanceof ChatError && err.status === 404) {
        localStorage.removeItem(this.key);
        setText(this.status, "");
        this.button.disabled = false;
        return;
      }
      setText(this.status, `Could not check the export: ${(err as Error).message}. Trying again…`);
      this.schedule(id, next);
    }
  }

  /** `fresh`: asked for on this page (fetch the file at once); else an earlier one, offered on a click. */
  private show(exp: AccountExport, fresh = true): void {
    this.button.disabled = exp.status === "pending";
    if (exp.status === "pending") return setText(this.status, "Preparing your archive… You can leave this page; it keeps being built.");
    if (exp.status === "failed") return setText(this.status, `The export failed${exp.error ? `: ${exp.error}` : ""}. You can try again.`);
    if (!exp.downloadUrl) return setText(this.status, "Your last archive has expired. Export again for a new one.");
    const until = exp.expiresAt ? ` until ${fullTime(exp.expiresAt)}` : "";
    setText(this.status, `Your archive is ready. It can be downloaded${until}.`);
    if (fresh) void this.fetchFile(exp.id, exp.downloadUrl);
    else replaceChildren(this.result, el("button", { type: "button", class: "secondary", onclick: () => void this.fetchFile(exp.id, exp.downloadUrl!) }, "Get the archive"));
  }

  private async fetchFile(id: string, url: string): Promise<void> {
    replaceChildren(this.result, el("p", { class: "muted" }, "Downloading the archive…"));
    try {
      const blob = await rest().download(url, { signal: this.abort.signal });
      if (this.destroyed) return;
      if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = URL.createObjectURL(blob);
      const name = `chat-export-${id}.ndjson`;
      replaceChildren(this.result, el("a", { class: "button download-link", href: this.objectUrl, download: name }, `Download your data (${size(blob.size)})`));
    } catch (err) {
      if (this.destroyed) return;
      replaceChildren(
        this.result,
        el("p", { class: "form-error", role: "alert" }, `Could not download the archive: ${(err as Error).message}`),
        el("button", { type: "button", class: "secondary", onclick: () => void this.fetchFile(id, url) }, "Try again"),
      );
    }
  }
}
