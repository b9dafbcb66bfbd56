/**
 * Sign in and sign up. Real <form>s with the standard input types and autocomplete tokens
 * (username / current-password / new-password), so Enter submits and password managers and
 * assistive tools understand them.
 */
import { ChatError } from "@chat-backend/client";
import { login as kept, rest } from "./client.js";
import { el, setText } from "./dom.js";

type Mode = "login" | "signup";

function field(label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  const id = `f-${input.form?.id ?? ""}${input.name}-${Math.random().toString(36).slice(2, 7)}`;
  input.id = id;
  const error = el("span", { class: "field-error", id: `${id}-error` });
  const hintEl = hint ? el("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  input.setAttribute("aria-describedby", [hintEl?.id, error.id].filter(Boolean).join(" "));
  return el("div", { class: "field" }, el("label", { for: id }, label), input, hintEl, error);
}

export function renderAuth(root: HTMLElement, initial: Mode = "login"): void {
  const login = el("form", { class: "auth-form card", id: "login-form", "aria-labelledby": "login-title" });
  login.append(
    el("h2", { id: "login-title" }, "Sign in"),
    field("Email", el("input", { type: "email", name: "email", autocomplete: "username", inputmode: "email", autocapitalize: "none", spellcheck: "false", required: true })),
    field("Password", el("input", { type: "password", name: "password", autocomplete: "current-password", required: true, maxlength: "128" })),
    el("p", { class: "form-error", role: "alert" }),
    el("button", { type: "submit" }, "Sign in"),
    el("p", { class: "switch" }, "New here? ", el("button", { type: "button", class: "link", "data-switch": "signup" }, "Create an account")),
  );

  const signup = el("form", { class: "auth-form card", id: "signup-form", "aria-labelledby": "signup-title" });
  signup.append(
    el("h2", { id: "signup-title" }, "Create an account"),
    field("Display name", el("input", { type: "text", name: "displayName", autocomplete: "nickname", required: true, maxlength: "50" })),
    field("Email", el("input", { type: "email", name: "email", autocomplete: "username", inputmode: "email", autocapitalize: "none", spellcheck: "false", required: true })),
    field("Password", el("input", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: "8", maxlength: "128" }), "8 to 128 characters."),
    el("p", { class: "form-error", role: "alert" }),
    el("button", { type: "submit" }, "Create account"),
    el("p", { class: "switch" }, "Have an account? ", el("button", { type: "button", class: "link", "data-switch": "login" }, "Sign in")),
  );

  const show = (mode: Mode) => {
    login.hidden = mode !== "login";
    signup.hidden = mode !== "signup";
    const form = mode === "login" ? login : signup;
    form.querySelector<HTMLInputElement>("input")?.focus();
  };
  for (const b of [...login.querySelectorAll<HTMLButtonElement>("[data-switch]"), ...signup.querySelectorAll<HTMLButtonElement>("[data-switch]")]) {
    b.addEventListener("click", () => show(b.dataset.switch as Mode));
  }

  const submit = (form: HTMLFormElement, run: (values: Record<string, string>) => Promise<void>) => {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]));
      const button = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
      clearErrors(form);
      button.disabled = true;
      form.setAttribute("aria-busy", "true");
      try {
        await run(values);
      } catch (err) {
        showError(form, err);
      } finally {
        button.disabled = false;
        form.removeAttribute("aria-busy");
      }
    });
  };

  submit(login, async ({ email = "", password = "" }) => {
    const reply = await rest().call("login", { body: { email: email.trim(), password } });
    kept.signIn({ user: reply.user, accessToken: reply.accessToken, refreshToken: reply.refreshToken });
  });
  submit(signup, async ({ email = "", password = "", displayName = "" }) => {
    const reply = await rest().call("signup", { body: { email: email.trim(), password, displayName: displayName.trim() } });
    kept.signIn({ user: reply.user, accessToken: reply.accessToken, refreshToken: reply.refreshToken });
  });

  root.replaceChildren(el("main", { class: "auth" }, el("h1", { class: "brand" }, "Chat"), login, signup));
  show(initial);
}

function clearErrors(form: HTMLFormElement) {
  setText(form.querySelector(".form-error")!, "");
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  for (const span of form.querySelectorAll(".field-error")) setText(span, "");
}

function showError(form: HTMLFormElement, err: unknown) {
  const box = form.querySelector(".form-error")!;
  if (!(err instanceof ChatError)) return setText(box, "Something went wrong. Please try again.");
  let message = err.message;
  if (form.id === "login-form" && err.status === 401) message = "Wrong email or password.";
  else if (err.code === "CONFLICT") message = "An account with this email already exists.";
  else if (err.code === "RATE_LIMITED") message = `Too many attempts. Try again${err.retryAfterMs ? ` in ${Math.ceil(err.retryAfterMs / 1000)} s` : " later"}.`;
  else if (err.code === "NETWORK") message = "The server cannot be reached. Check your connection.";
  let first: HTMLInputElement | null = null;
  for (const fe of err.errors) {
    const input = form.querySelector<HTMLInputElement>(`input[name="${CSS.escape(fe.path)}"]`);
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    setText(document.getElementById(`${input.id}-error`)!, fe.message);
    first ??= input;
  }
  if (first) {
    message = "Please check the highlighted fields.";
    first.focus();
  }
  setText(box, message);
}
