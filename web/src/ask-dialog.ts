/**
 * A small modal question: a confirmation ("Delete your account?"), or a line of text to give
 * (a ban's reason, a report's reason). With `submit`, the dialog stays open while the answer is
 * sent and shows the server's refusal in place, so the user can correct it or cancel.
 */
import { el, setText } from "./dom.js";

export interface AskOptions {
  title: string;
  /** What happens, in a sentence or two. */
  text?: string;
  /** A text to give; absent for a plain confirmation. */
  field?: { label: string; required?: boolean; maxLength?: number; multiline?: boolean; placeholder?: string };
  /** The confirming button's label. */
  confirm: string;
  danger?: boolean;
  /** Sends the answer; a thrown error's message is shown and the dialog stays open. */
  submit?: (value: string) => Promise<void>;
}

let asked = 0;

/** Resolves with the text given ("" for a confirmation), or null when cancelled. */
export function ask(opts: AskOptions): Promise<string | null> {
  const id = `ask-${++asked}`;
  const dialog = el("dialog", { class: "dialog ask-dialog", "aria-labelledby": `${id}-title` });
  const form = el("form", { method: "dialog" });
  const error = el("p", { class: "form-error", role: "alert" });
  let input: HTMLInputElement | HTMLTextAreaElement | null = null;
  if (opts.field) {
    const f = opts.field;
    const attrs = { id: `${id}-input`, name: "value", required: !!f.required, maxlength: f.maxLength ? String(f.maxLength) : null, placeholder: f.placeholder ?? null, autocomplete: "off" };
    input = f.multiline ? el("textarea", { ...attrs, rows: "3" }) : el("input", { ...attrs, type: "text" });
  }
  const confirm = el("button", { type: "submit", value: "confirm", class: opts.danger ? "danger-fill" : "" }, opts.confirm);
  form.append(
    el("h2", { id: `${id}-title` }, opts.title),
    opts.text ? el("p", { class: "muted" }, opts.text) : "",
    input ? el("div", { class: "field" }, el("label", { for: input.id }, opts.field!.label), input) : "",
    error,
    el(
      "div",
      { class: "dialog-actions" },
      el("button", { type: "submit", value: "cancel", class: "secondary", formnovalidate: true }, "Cancel"),
      confirm,
    ),
  );
  dialog.append(form);
  document.body.append(dialog);

  return new Promise((resolve) => {
    let answer: string | null = null;
    form.addEventListener("submit", (e) => {
      const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
      if (submitter?.value !== "confirm") return; // Cancel closes (method=dialog)
      e.preventDefault();
      const value = input?.value.trim() ?? "";
      if (!opts.submit) {
        answer = value;
        dialog.close();
        return;
      }
      setText(error, "");
      confirm.disabled = true;
      form.setAttribute("aria-busy", "true");
      opts.submit(value).then(
        () => {
          answer = value;
          dialog.close();
        },
        (err: Error) => {
          setText(error, err.message || "Something went wrong.");
          confirm.disabled = false;
          form.removeAttribute("aria-busy");
          input?.focus();
        },
      );
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer);
    });
    dialog.showModal();
    (input ?? confirm).focus();
  });
}
