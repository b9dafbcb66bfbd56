// What the browser suites (test/e2e) do the same way: a person with their own browser context,
// finding a message row, sending from the composer, signing up through the form, befriending and
// opening a group through the UI, and running a suite's steps as one story that stops at the first
// failure with each person's screen saved.
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { BrowserContext, Locator, Page } from "playwright-core";

export interface Person {
  name: string;
  email: string;
  password: string;
  page: Page;
  context: BrowserContext;
}

/** A person of a fresh account, on a page of `context`. */
export async function personIn(name: string, context: BrowserContext): Promise<Person> {
  return { name, email: `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.test`, password: "correct horse battery", context, page: await context.newPage() };
}

/** The row of the message whose text is exactly `text`. */
export function message(page: Page, text: string): Locator {
  return page.locator(".messages .msg").filter({ has: page.locator(".text").getByText(text, { exact: true }) });
}

/** Sends from the composer and waits for the server's acknowledgement (the pending mark goes). */
export async function send(p: Person, text: string): Promise<void> {
  await p.page.getByLabel("Message", { exact: true }).fill(text);
  await p.page.getByLabel("Message", { exact: true }).press("Enter");
  const row = message(p.page, text);
  await row.waitFor();
  await row.locator(".status").waitFor({ state: "detached" });
}

/** Signs the person up through the form at `/` (Enter submits) and waits until they are online. */
export async function signUpInPage(p: Person): Promise<void> {
  await p.page.goto("/");
  await p.page.getByRole("button", { name: "Create an account" }).click();
  const form = p.page.locator("form#signup-form");
  await form.getByLabel("Display name").fill(p.name);
  await form.getByLabel("Email").fill(p.email);
  await form.getByLabel("Password").fill(p.password);
  await form.getByLabel("Password").press("Enter");
  await p.page.locator(".topbar .me", { hasText: p.name }).waitFor();
  await p.page.locator(".conn[data-state=online]").waitFor();
}

/** `a` befriends `b`, creates the group `name` with them, and `b` accepts its invite; the room's id. */
export async function befriendInGroup(a: Person, b: Person, name: string): Promise<string> {
  await a.page.getByRole("link", { name: "Friends" }).click();
  await a.page.getByLabel("Find people by name or email").fill(b.email);
  await a.page.getByLabel("Find people by name or email").press("Enter");
  await a.page.getByRole("button", { name: `Add ${b.name} as a friend` }).click();
  await b.page.getByRole("link", { name: /Friends/ }).click();
  await b.page.getByRole("button", { name: `Accept friend request from ${a.name}` }).click();
  await a.page.locator(".friend-list .friend", { hasText: b.name }).waitFor();

  await a.page.getByRole("link", { name: /Chats/ }).click();
  await a.page.getByRole("button", { name: "New group" }).click();
  await a.page.getByLabel("Group name").fill(name);
  await a.page.getByLabel(b.name).check();
  await a.page.getByRole("button", { name: "Create group" }).click();
  await a.page.locator(".chat-title", { hasText: name }).waitFor();
  const roomId = decodeURIComponent(new URL(a.page.url()).hash.replace("#/room/", ""));

  await b.page.getByRole("link", { name: /Chats/ }).click();
  await b.page.getByRole("button", { name: `Accept invite to ${name}` }).click();
  await b.page.locator(".chat-title", { hasText: name }).waitFor();
  await a.page.locator(".chat-subtitle", { hasText: "2 members" }).waitFor();
  return roomId;
}

/**
 * The suite's tests are steps of one story: after the first failure the rest are skipped (they
 * would fail for its reason) and each person's screen is saved for the report, outside docs/.
 */
export function asSteps(label: string, people: () => Person[]): void {
  let failed = false;
  beforeEach(function () {
    if (failed) this.skip();
  });
  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    failed = true;
    for (const p of people()) {
      const path = join(tmpdir(), `${label}-e2e-${p.name}.png`);
      await p.page.screenshot({ path }).catch(() => {});
      console.log(`      ${p.name}'s screen: ${path}; connection: ${await p.page.locator(".conn").textContent().catch(() => "?")}`);
    }
  });
}
