/**
 * The account's settings page (#/settings, from the top bar): who is signed in, "Export my data"
 * (data-export.ts) and "Delete my account": the password again, a last confirmation, then
 * DELETE /api/me; every login ends and the log-in form comes back. A wrong password is the
 * server's 403, shown here, and nothing is deleted.
 */
import { ChatError } from "@chat-backend/client";
import { ask } from "./ask-dialog.js";
import { DataExport } from "./data-export.js";
import { el, setText } from "./dom.js";
import { disablePush } from "./push.js";
import { client } from "./client.js";
import type { Store } from "./store.js";

export class AccountSettings {
  readonly root: HTMLElement;
  private readonly exporter: DataExport;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly store: Store) {
    this.exporter = new DataExport(store.me.id);
    const who = el("p", { class: "settings-who" });
    const renderWho = () => setText(who, `Signed in as ${store.me.displayName} (${store.me.email ?? ""}).`);
    renderWho();
    this.cleanups.push(store.on("users", renderWho));
    this.root = el(
      "section",
      { class: "settings-page", "aria-labelledby": "settings-title" },
      el(
        "header",
        { class: "chat-head" },
        el("a", { href: "#/", class: "back", "aria-label": "Back to chats" }, "‹"),
        el("div", { class: "chat-heading" }, el("h2", { class: "chat-title", id: "settings-title" }, "Account settings"), who),
      ),
      el("div", { class: "settings-body" }, this.exporter.root, this.deletion()),
    );
  }

  destroy(): void {
    this.exporter.destroy();
    for (const c of this.cleanups) c();
  }

  private deletion(): HTMLElement {
    const password = el("input", { id: "delete-password", type: "password", name: "password", autocomplete: "current-password", required: true, maxlength: "128" });
    const error = el("p", { class: "form-error", role: "alert" });
    const submit = el("button", { type: "submit", class: "danger-fill" }, "Delete my account");
    const form = el(
      "form",
      { class: "delete-account", "aria-labelledby": "delete-title" },
      el("div", { class: "field" }, el("label", { for: password.id }, "Your password"), password),
      error,
      submit,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      setText(error, "");
      password.removeAttribute("aria-invalid");
      const confirmed = await ask({
        title: "Delete your account for good?",
        text: "This cannot be undone. You will be signed out everywhere.",
        confirm: "Delete for good",
        danger: true,
      });
      if (confirmed === null) return;
      submit.disabled = true;
      form.setAttribute("aria-busy", "true");
      try {
        await client().rest.call("deleteMe", { body: { password: password.value } });
        this.forget();
        // The browser's push subscription goes with the account, as with signing out.
        await disablePush().catch(() => {});
        client().session.end("account deleted"); // every login ended: back to the log-in form
      } catch (err) {
        password.setAttribute("aria-invalid", "true");
        setText(error, `Your account was not deleted: ${this.reason(err)}`);
        password.select();
      } finally {
        submit.disabled = false;
        form.removeAttribute("aria-busy");
      }
    });
    return el(
      "section",
      { class: "card settings-section danger-zone", "aria-labelledby": "delete-title" },
      el("h2", { id: "delete-title" }, "Delete my account"),
      el(
        "p",
        {},
        "Your profile, friends, follows, files, songs and playlists are deleted, and you leave every room (a group you own passes to its oldest admin, else its oldest member). ",
        "Your messages stay in their rooms as “Message deleted”, so conversations keep their order. Your email can sign up again.",
      ),
      el("p", { class: "muted" }, "Export your data first if you want a copy."),
      form,
    );
  }

  private reason(err: unknown): string {
    if (!(err instanceof ChatError)) return "something went wrong. Please try again.";
    if (err.code === "RATE_LIMITED") return `too many attempts. Try again${err.retryAfterMs ? ` in ${Math.ceil(err.retryAfterMs / 1000)} s` : " later"}.`;
    if (err.code === "NETWORK") return "the server cannot be reached.";
    return err.message;
  }

  /** What this browser kept for the account (unsent messages, the export's id) goes with it. */
  private forget(): void {
    const { outbox } = client();
    for (const item of outbox.pending()) outbox.discard(item.clientMsgId);
    localStorage.removeItem(`chat.export.${this.store.me.id}`);
  }
}
