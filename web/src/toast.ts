/**
 * A short note over the whole page (a report sent, a room one is no longer in), for what happens
 * outside an open chat's own notes. Announced politely; it goes by itself after a few seconds.
 */
import { el } from "./dom.js";

const TOAST_MS = 5_000;

export function showToast(text: string, kind: "info" | "error" = "info"): void {
  const note = el("p", { class: `toast page-toast${kind === "error" ? " error" : ""}`, role: kind === "error" ? "alert" : "status" }, text);
  // Above an open modal dialog too (the top layer): the toast goes into the topmost one.
  const dialogs = document.querySelectorAll<HTMLDialogElement>("dialog[open]");
  const host = dialogs.length ? dialogs[dialogs.length - 1]! : document.body;
  host.append(note);
  setTimeout(() => note.remove(), TOAST_MS);
}
