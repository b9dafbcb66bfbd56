/**
 * A person's card, opened from wherever the client shows someone (a sender's name in a chat, a
 * friend in the list): their name and status, "Message" (the direct room), "Block" /
 * "Unblock" (PUT / DELETE /api/blocks/:userId) and "Report" (POST /api/reports). A blocked user can no longer open a direct room
 * with, befriend, invite or message the blocker; the blocker's view of them is unchanged here.
 */
import { ChatError } from "@chat-backend/client";
import { rest } from "./client.js";
import { avatar, el, replaceChildren, setText } from "./dom.js";
import { reportUser } from "./report.js";
import type { Store } from "./store.js";

/** A button showing `name` that opens the card of `userId`. */
export function personButton(store: Store, userId: string, name: string, cls = "person-link"): HTMLButtonElement {
  return el("button", { type: "button", class: `link ${cls}`, "aria-haspopup": "dialog", title: `About ${name}`, onclick: () => openUserMenu(store, userId) }, name);
}

export function openUserMenu(store: Store, userId: string): void {
  if (userId === store.me.id) return;
  void store.ensureUsers([userId]);
  const dialog = el("dialog", { class: "dialog user-menu", "aria-labelledby": "user-menu-name" });
  const error = el("p", { class: "form-error", role: "alert" });
  const status = el("p", { class: "muted user-menu-status", role: "status" });
  const blockButton = el("button", { type: "button", class: "secondary danger" });
  const reportButton = el("button", { type: "button", class: "secondary danger" });
  reportButton.addEventListener("click", () => void reportUser(userId, store.userName(userId)));
  const head = el("div", { class: "user-menu-head" });
  const render = () => {
    const user = store.users.get(userId);
    const name = store.userName(userId);
    const blocked = store.blocked.has(userId);
    replaceChildren(
      head,
      avatar(userId, name),
      el("div", {}, el("h2", { id: "user-menu-name" }, name), user?.statusMessage ? el("p", { class: "muted" }, user.statusMessage) : null),
    );
    setText(blockButton, blocked ? `Unblock ${name}` : `Block ${name}`);
    setText(reportButton, "Report");
    reportButton.setAttribute("aria-label", `Report ${name}`);
    setText(status, blocked ? "You have blocked this person: they cannot message you, befriend you or invite you." : "");
  };
  const message = el("button", { type: "button" }, "Message");
  message.addEventListener("click", async () => {
    setText(error, "");
    try {
      const { room } = await rest().openDirect(userId);
      store.upsertRoom(room);
      dialog.close();
      location.hash = `#/room/${room.id}`;
    } catch (err) {
      setText(error, (err as Error).message);
    }
  });
  blockButton.addEventListener("click", async () => {
    setText(error, "");
    blockButton.disabled = true;
    try {
      await store.setBlocked(userId, !store.blocked.has(userId));
    } catch (err) {
      setText(error, err instanceof ChatError ? err.message : "Could not change the block.");
    } finally {
      blockButton.disabled = false;
    }
  });
  dialog.append(
    head,
    status,
    error,
    el("div", { class: "dialog-actions" }, message, blockButton, reportButton, el("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Close")),
  );
  const off = [store.on("blocks", render), store.on("users", render)];
  document.body.append(dialog);
  dialog.addEventListener("close", () => {
    off.forEach((f) => f());
    dialog.remove();
  });
  render();
  dialog.showModal();
}
