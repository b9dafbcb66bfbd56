/** The dialog that invites friends (not yet members) to a group room. */
import { rest } from "./client.js";
import { el, setText } from "./dom.js";
import type { Store } from "./store.js";

export function openInviteDialog(store: Store, roomId: string, roomName: string, memberIds: Set<string>): void {
  const candidates = [...store.friends.values()].filter((f) => !memberIds.has(f.user.id)).sort((a, b) => a.user.displayName.localeCompare(b.user.displayName));
  const dialog = el("dialog", { class: "dialog", "aria-labelledby": "invite-title" });
  const form = el("form", { method: "dialog" });
  const list = el("fieldset", { class: "pick" }, el("legend", { id: "invite-title" }, `Invite friends to ${roomName}`));
  for (const f of candidates) list.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "userId", value: f.user.id }), f.user.displayName));
  if (!candidates.length) list.append(el("p", { class: "muted" }, store.friends.size ? "All your friends are already here." : "No friends to invite yet: add some on the Friends tab."));
  const error = el("p", { class: "form-error", role: "alert" });
  form.append(
    list,
    error,
    el(
      "div",
      { class: "dialog-actions" },
      el("button", { type: "submit", value: "cancel", class: "secondary", formnovalidate: true }, "Cancel"),
      el("button", { type: "submit", value: "invite", disabled: !candidates.length }, "Send invites"),
    ),
  );
  dialog.append(form);
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  form.addEventListener("submit", (e) => {
    const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
    if (submitter?.value !== "invite") return; // Cancel closes the dialog (method=dialog)
    e.preventDefault();
    const ids = [...form.querySelectorAll<HTMLInputElement>("input[name=userId]:checked")].map((i) => i.value);
    if (!ids.length) return setText(error, "Pick at least one friend.");
    rest().call("invite", { params: { id: roomId }, body: { userIds: ids } }).then(
      () => dialog.close(),
      (err: Error) => setText(error, err.message),
    );
  });
  dialog.showModal();
}
