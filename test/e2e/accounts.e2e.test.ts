// Accounts and rooms over their life in the browser client end to end (PROTOCOL.md, "Accounts
// and rooms over their life"): a group's name and topic, roles, a mute, a ban and its lifting,
// reports, the data export and the deletion of an account. Debian's Chromium driven by
// playwright-core, two browser contexts as two users, Ann on node 1 and Bob on node 2 of one
// cluster (PostgreSQL + Redis), everything through the UI with real clicks and typing; every wait
// is on visible state (locators), never a fixed sleep.
import { readFile } from "node:fs/promises";
import { expect } from "chai";
import type { Locator, Page } from "playwright-core";
import { useBrowser } from "../helpers/browser.js";
import { asSteps, befriendInGroup, message, personIn, send, signUpInPage, type Person } from "../helpers/chat-pages.js";
import type { TestNode } from "../helpers/nodes.js";
import { useCluster } from "../helpers/suite.js";

const WIDE = { width: 1280, height: 800 };
const UI_TIMEOUT_MS = 10_000;



/** The system notice (a role, a mute, a ban…) that contains `text`. */
function notice(page: Page, text: string): Locator {
  return page.locator(".messages .msg.system .system-text", { hasText: text });
}

function settingsOf(page: Page): Locator {
  return page.getByRole("dialog", { name: "Room settings" });
}

/** A member's row in an open room settings dialog. */
function memberRow(dialog: Locator, name: string): Locator {
  return dialog.locator(".member-admin-list .member").filter({ has: dialog.page().locator(".member-name", { hasText: name }) });
}


describe("accounts and rooms over their life end to end (Chromium, two users on two nodes): settings, roles, mutes, bans, reports, export, deletion", function () {
  this.timeout(120_000);

  const { newContext } = useBrowser();
  const { nodes } = useCluster(2);
  let a: Person;
  let b: Person;
  let roomId = "";

  before(async () => {
    const person = async (name: string, node: TestNode): Promise<Person> => personIn(name, await newContext(node, { viewport: WIDE, timeout: UI_TIMEOUT_MS }));
    a = await person("Ann", nodes[0]);
    b = await person("Bob", nodes[1]);
  });

  asSteps("accounts", () => [a, b]);

  it("signs both users up, befriends them and puts them in a group (Ann owns it); both write", async () => {
    for (const p of [a, b]) await signUpInPage(p);
    roomId = await befriendInGroup(a, b, "Book club");

    await send(a, "Welcome to the book club");
    await message(b.page, "Welcome to the book club").waitFor();
    await send(b, "Glad to be here");
    await message(a.page, "Glad to be here").waitFor();
  });

  it("a member sees the settings read-only; the owner renames the room and sets a topic, and Bob's page shows both at once", async () => {
    await b.page.getByRole("button", { name: "Room settings" }).click();
    const onB = settingsOf(b.page);
    await onB.locator(".room-role", { hasText: "You are a member" }).waitFor();
    await memberRow(onB, "Ann").locator(".role-badge", { hasText: "owner" }).waitFor();
    await memberRow(onB, "Bob").locator(".role-badge", { hasText: "member" }).waitFor();
    // No admin action for a member: no form, no member buttons, no ban list.
    expect(await onB.getByLabel("Room name", { exact: true }).count()).to.equal(0);
    expect(await onB.locator(".member-actions button").count()).to.equal(0);
    expect(await onB.locator(".room-bans").isVisible()).to.equal(false);

    await a.page.getByRole("button", { name: "Room settings" }).click();
    const onA = settingsOf(a.page);
    await onA.locator(".room-role", { hasText: "You own this room" }).waitFor();
    await onA.getByLabel("Room name", { exact: true }).fill("Reading circle");
    await onA.getByLabel("Topic", { exact: true }).fill("One book a month, no spoilers");
    await onA.getByRole("button", { name: "Save" }).click();

    // Bob's open dialog and both headers follow; the change is a notice naming who made it.
    await onB.locator(".room-name-value", { hasText: "Reading circle" }).waitFor();
    await onB.locator(".room-topic-value", { hasText: "One book a month, no spoilers" }).waitFor();
    for (const p of [a, b]) {
      await p.page.locator(".chat-title", { hasText: "Reading circle" }).waitFor();
      await p.page.locator(".chat-topic", { hasText: "One book a month, no spoilers" }).waitFor();
      await notice(p.page, 'Ann renamed the room to "Reading circle" and set the topic to "One book a month, no spoilers"').waitFor();
    }
    await b.page.locator(`.room-list li[data-room-id="${roomId}"] .room-name`, { hasText: "Reading circle" }).waitFor();
  });

  it("promotes Bob to admin: his open settings turn into an admin's (form, ban list), with no action on the owner", async () => {
    const onA = settingsOf(a.page);
    const onB = settingsOf(b.page);
    await memberRow(onA, "Bob").getByRole("button", { name: "Make Bob an admin" }).click();
    await memberRow(onA, "Bob").locator(".role-badge", { hasText: "admin" }).waitFor();

    await onB.locator(".room-role", { hasText: "You are an admin" }).waitFor();
    await onB.getByLabel("Room name", { exact: true }).waitFor();
    await onB.locator(".room-bans", { hasText: "Nobody is banned" }).waitFor();
    await memberRow(onB, "Bob").locator(".role-badge", { hasText: "admin" }).waitFor();
    expect(await memberRow(onB, "Ann").locator("button").count()).to.equal(0); // an admin cannot act on the owner
    await notice(b.page, "Ann made Bob an admin").waitFor();
    await onB.getByRole("button", { name: "Close" }).click();
    await onB.waitFor({ state: "detached" });
  });

  it("mutes Bob for 10 minutes: his send is refused with the time left; unmuted, his retry goes", async () => {
    const onA = settingsOf(a.page);
    await memberRow(onA, "Bob").getByLabel("Mute Bob for").selectOption({ label: "10 minutes" });
    await memberRow(onA, "Bob").getByRole("button", { name: "Mute Bob", exact: true }).click();
    await memberRow(onA, "Bob").locator(".member-muted", { hasText: "muted until" }).waitFor();
    await notice(b.page, "Ann muted Bob for 10 minutes").waitFor();

    const text = "Can I still talk?";
    await b.page.getByLabel("Message", { exact: true }).fill(text);
    await b.page.getByLabel("Message", { exact: true }).press("Enter");
    const refused = message(b.page, text);
    await refused.locator(".status", { hasText: /^Not sent: you are muted in this room for (9|10) minutes/ }).waitFor();
    expect(await message(a.page, text).count()).to.equal(0);

    await memberRow(onA, "Bob").getByRole("button", { name: "Unmute Bob" }).click();
    await notice(b.page, "Ann unmuted Bob").waitFor();
    await memberRow(onA, "Bob").locator(".member-muted").waitFor({ state: "detached" });
    await refused.getByRole("button", { name: "Retry" }).click();
    await refused.locator(".status").waitFor({ state: "detached" });
    await message(a.page, text).waitFor();
  });

  it("bans Bob with a reason: his page loses the room; the ban list shows him; unbanned and invited again, he is back", async () => {
    const onA = settingsOf(a.page);
    await memberRow(onA, "Bob").getByRole("button", { name: "Ban Bob" }).click();
    const ask = a.page.getByRole("dialog", { name: "Ban Bob?" });
    await ask.getByLabel("Reason (optional)").fill("Spoilers after a warning");
    await ask.getByRole("button", { name: "Ban", exact: true }).click();
    await ask.waitFor({ state: "detached" });

    // Bob's page: out of the room (list and open chat), and told so.
    await b.page.locator(`.room-list li[data-room-id="${roomId}"]`).waitFor({ state: "detached" });
    await b.page.locator(".chat").waitFor({ state: "detached" });
    await b.page.locator(".toast", { hasText: "You are no longer a member of Reading circle" }).waitFor();

    // Ann's: the ban with its reason, Bob no longer among the members, the notice without the reason.
    const ban = onA.locator(".ban-list .ban", { hasText: "Bob" });
    await ban.locator(".ban-reason", { hasText: "Reason: Spoilers after a warning" }).waitFor();
    await memberRow(onA, "Bob").waitFor({ state: "detached" });
    await notice(a.page, "Ann banned Bob").waitFor();
    expect(await notice(a.page, "after a warning").count()).to.equal(0);

    await ban.getByRole("button", { name: "Lift the ban on Bob" }).click();
    await onA.locator(".room-bans", { hasText: "Nobody is banned" }).waitFor();
    await notice(a.page, "Ann lifted the ban on Bob").waitFor();
    await onA.getByRole("button", { name: "Close" }).click();

    await a.page.locator(".chat-subtitle", { hasText: /^1 member\b/ }).waitFor();
    await a.page.getByRole("button", { name: "Invite", exact: true }).click();
    const invite = a.page.locator("dialog", { hasText: "Invite friends to Reading circle" });
    await invite.getByLabel("Bob").check();
    await invite.getByRole("button", { name: "Send invites" }).click();
    await invite.waitFor({ state: "detached" });
    await b.page.getByRole("button", { name: "Accept invite to Reading circle" }).click();
    await b.page.locator(".chat-title", { hasText: "Reading circle" }).waitFor();
    await a.page.locator(".chat-subtitle", { hasText: "2 members" }).waitFor();
    await message(b.page, "Welcome to the book club").waitFor();
  });

  it("reports: Bob reports Ann's message (the owner is told what and why) and Ann herself from her card, each with a toast", async () => {
    expect(await message(a.page, "Welcome to the book club").getByRole("button", { name: "Report message" }).count()).to.equal(0); // not one's own

    await message(b.page, "Welcome to the book club").getByRole("button", { name: "Report message" }).click();
    const reportMessage = b.page.getByRole("dialog", { name: "Report a message from Ann" });
    await reportMessage.getByLabel("Why are you reporting this?").fill("Testing the report of a message");
    await reportMessage.getByRole("button", { name: "Send report" }).click();
    await reportMessage.waitFor({ state: "detached" });
    await b.page.locator(".toast", { hasText: "Report sent" }).waitFor();
    // The owner hears of it through her feed (report.created), without the reporter's name.
    await a.page.locator(".toast", { hasText: "A message in Reading circle was reported: Testing the report of a message" }).waitFor();

    await b.page.locator(".msg-head .sender", { hasText: "Ann" }).first().click();
    const card = b.page.getByRole("dialog", { name: "Ann" });
    await card.getByRole("button", { name: "Report Ann" }).click();
    const reportUser = b.page.getByRole("dialog", { name: "Report Ann" });
    await reportUser.getByLabel("Why are you reporting this?").fill("Testing the report of a person");
    await reportUser.getByRole("button", { name: "Send report" }).click();
    await reportUser.waitFor({ state: "detached" });
    await b.page.locator(".toast", { hasText: "Report sent" }).last().waitFor();
    await card.getByRole("button", { name: "Close" }).click();
    await card.waitFor({ state: "detached" });
  });

  it("exports Ann's data from her settings: the archive is fetched with her token and saved as an NDJSON file", async () => {
    await a.page.getByRole("link", { name: "Account settings" }).click();
    await a.page.locator(".settings-page .chat-title", { hasText: "Account settings" }).waitFor();
    await a.page.getByRole("button", { name: "Export my data" }).click();
    const link = a.page.getByRole("link", { name: /^Download your data/ });
    await link.waitFor({ timeout: 30_000 });
    expect(await link.getAttribute("href")).to.match(/^blob:/); // the bytes are in the page, fetched with the bearer token

    const [file] = await Promise.all([a.page.waitForEvent("download"), link.click()]);
    expect(file.suggestedFilename()).to.match(/^chat-export-.+\.ndjson$/);
    const lines = (await readFile(await file.path(), "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; user?: { email?: string }; room?: { name: string }; message?: { text: string }; counts?: Record<string, number> });
    expect(lines[0]!.type).to.equal("export");
    expect(lines.at(-1)!.type).to.equal("end"); // complete
    expect(lines.find((l) => l.type === "profile")?.user?.email).to.equal(a.email);
    expect(lines.some((l) => l.type === "room" && l.room?.name === "Reading circle")).to.equal(true);
    expect(lines.some((l) => l.type === "message" && l.message?.text === "Welcome to the book club")).to.equal(true);
    expect(lines.at(-1)!.counts?.message).to.equal(lines.filter((l) => l.type === "message").length);
  });

  it("deletes Ann's account: a wrong password is refused in place; the right one lands on the log-in form, and Bob sees her messages deleted", async () => {
    const password = a.page.getByLabel("Your password");
    const confirmDeletion = async () => {
      await a.page.getByRole("button", { name: "Delete my account" }).click();
      const confirm = a.page.getByRole("dialog", { name: "Delete your account for good?" });
      await confirm.getByRole("button", { name: "Delete for good" }).click();
      await confirm.waitFor({ state: "detached" });
    };
    await password.fill("not my password");
    await confirmDeletion();
    await a.page.locator(".delete-account .form-error", { hasText: "Your account was not deleted: wrong password" }).waitFor();
    expect(await a.page.locator("form#login-form").count()).to.equal(0);

    await password.fill(a.password);
    await confirmDeletion();
    await a.page.locator("form#login-form").waitFor();
    expect(await a.page.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem("chat.session"))).to.equal(null);

    // Bob's open room: her messages are tombstones from a deleted user; the room passed to him.
    await message(b.page, "Welcome to the book club").waitFor({ state: "detached" });
    await b.page.locator(".msg.deleted", { hasText: "Message deleted" }).first().waitFor();
    await b.page.locator(".msg-head .sender", { hasText: "Deleted user" }).first().waitFor();
    await notice(b.page, "left and handed ownership to Bob").waitFor();
    await message(b.page, "Glad to be here").waitFor();
    await b.page.locator(".chat-subtitle", { hasText: /^1 member\b/ }).waitFor();

    // Her credentials no longer sign in.
    const form = a.page.locator("form#login-form");
    await form.getByLabel("Email").fill(a.email);
    await form.getByLabel("Password").fill(a.password);
    await form.getByLabel("Password").press("Enter");
    await form.locator(".form-error", { hasText: "Wrong email or password." }).waitFor();
  });
});
