// Conversations in the browser client end to end (PROTOCOL.md, "Conversations"): replies,
// reactions, mentions with the composer's autocomplete, pins, blocks, and the resync by the
// room's timeline revision. Debian's Chromium driven by playwright-core, two browser contexts as
// two users, Ann on node 1 and Bob on node 2 of one cluster (PostgreSQL + Redis), everything
// through the UI with real clicks and typing; every wait is on visible state (locators), never a
// fixed sleep.
import { expect } from "chai";
import type { Locator, Page, WebSocketRoute } from "playwright-core";
import { useBrowser } from "../helpers/browser.js";
import { asSteps, befriendInGroup, message, personIn, send, signUpInPage, type Person } from "../helpers/chat-pages.js";
import type { TestNode } from "../helpers/nodes.js";
import { SHOTS } from "../helpers/screenshots.js";
import { useCluster } from "../helpers/suite.js";

const WIDE = { width: 1280, height: 800 };
const UI_TIMEOUT_MS = 10_000;



/** The row of the message whose text contains `text` (for texts split by mention highlights). */
function messageWith(page: Page, text: string): Locator {
  return page.locator(".messages .msg").filter({ has: page.locator(".text", { hasText: text }) });
}

/** The chip of `emoji` under a message row. */
function chip(row: Locator, emoji: string): Locator {
  return row.locator(`.reactions .reaction[data-emoji="${emoji}"]`);
}


describe("conversations end to end (Chromium, two users on two nodes): replies, reactions, mentions, pins, resync", function () {
  this.timeout(120_000);

  const { newContext } = useBrowser();
  const { nodes, apis: [api] } = useCluster(2);
  let a: Person;
  let b: Person;
  let roomId = "";
  // B's socket can be cut (both transports), as a network that drops it would.
  const bNet = { socketBlocked: false, sockets: [] as WebSocketRoute[] };

  before(async () => {
    const person = async (name: string, node: TestNode): Promise<Person> => personIn(name, await newContext(node, { viewport: WIDE, timeout: UI_TIMEOUT_MS }));
    a = await person("Ann", nodes[0]);
    b = await person("Bob", nodes[1]);
    await b.context.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (bNet.socketBlocked) return ws.close();
      ws.connectToServer();
      bNet.sockets.push(ws);
    });
    await b.context.route(/\/socket\.io\//, (route) => (bNet.socketBlocked ? route.abort("connectionrefused") : route.continue()));
  });

  asSteps("conversations", () => [a, b]);

  it("signs both users up, befriends them and puts them in a group (Ann owns it)", async () => {
    for (const p of [a, b]) await signUpInPage(p);
    roomId = await befriendInGroup(a, b, "Camping trip");
  });

  it("replies: the quote goes above the composer (cancelable), shows on both sides, and a click on it shows the original", async () => {
    await send(a, "Who brings the tent?");
    await send(a, "And the stove?");
    const original = message(b.page, "Who brings the tent?");
    await original.waitFor();

    // Reply, cancel, reply again.
    await original.getByRole("button", { name: "Reply to message" }).click();
    const banner = b.page.locator(".reply-banner");
    await banner.filter({ hasText: "Who brings the tent?" }).waitFor();
    await banner.getByRole("button", { name: "Cancel reply" }).click();
    await banner.waitFor({ state: "hidden" });
    await original.getByRole("button", { name: "Reply to message" }).click();
    await banner.filter({ hasText: "Replying to Ann" }).waitFor();
    await send(b, "I will");
    await banner.waitFor({ state: "hidden" });

    // The quote on both sides, naming the original's sender and text.
    for (const p of [a, b]) {
      const quote = message(p.page, "I will").locator(".quote");
      await quote.locator(".quote-sender", { hasText: "Ann" }).waitFor();
      expect(await quote.locator(".quote-text").textContent()).to.equal("Who brings the tent?");
    }

    // A click on the quote scrolls to the original and marks it.
    await message(a.page, "I will").locator(".quote").click();
    await message(a.page, "Who brings the tent?").and(a.page.locator(".highlight")).waitFor();
    await a.page.screenshot({ path: `${SHOTS}reply.png` });
  });

  it("reactions: a common emoji and a free one, counts live on the other page, one's own highlighted, a click toggles", async () => {
    const onA = message(a.page, "I will");
    await onA.getByRole("button", { name: "React to message" }).click();
    await onA.getByRole("button", { name: "React 👍" }).click();
    await chip(onA, "👍").and(a.page.locator(".me")).waitFor();

    // On B's page (a broadcast, without `me`): 1, not B's own.
    const onB = message(b.page, "I will");
    await chip(onB, "👍").locator(".reaction-count", { hasText: /^1$/ }).waitFor();
    expect(await chip(onB, "👍").getAttribute("aria-pressed")).to.equal("false");

    // B adds theirs with a click on the chip: 2 on both pages, pressed on B's.
    await chip(onB, "👍").click();
    await chip(onB, "👍").and(b.page.locator("[aria-pressed=true]")).locator(".reaction-count", { hasText: /^2$/ }).waitFor();
    await chip(onA, "👍").locator(".reaction-count", { hasText: /^2$/ }).waitFor();
    expect(await chip(onA, "👍").getAttribute("aria-pressed")).to.equal("true"); // still A's own, derived from userIds

    // A free one typed in the picker's box.
    await onB.getByRole("button", { name: "React to message" }).click();
    await onB.getByLabel("Other emoji").fill(":tent:");
    await onB.getByLabel("Other emoji").press("Enter");
    await chip(onA, ":tent:").locator(".reaction-count", { hasText: /^1$/ }).waitFor();

    // A takes theirs back: 1 left, on both pages.
    await chip(onA, "👍").click();
    await chip(onA, "👍").and(a.page.locator("[aria-pressed=false]")).locator(".reaction-count", { hasText: /^1$/ }).waitFor();
    await chip(onB, "👍").locator(".reaction-count", { hasText: /^1$/ }).waitFor();
    expect(await chip(onB, "👍").getAttribute("aria-pressed")).to.equal("true");
  });

  it("mentions: @ opens the members list, the pick is sent as a mention; Bob sees a mention badge, then the highlight", async () => {
    // Bob steps out to the room list.
    await b.page.getByRole("link", { name: /Chats/ }).click();
    await b.page.locator(".placeholder").waitFor();

    const input = a.page.getByLabel("Message", { exact: true });
    await input.pressSequentially("@Bo");
    const option = a.page.locator("#mention-list [role=option]", { hasText: "Bob" });
    await option.waitFor();
    await input.press("Enter"); // picks, does not send
    expect(await input.inputValue()).to.equal("@Bob ");
    await input.pressSequentially("can you check the weather?");
    await input.press("Enter");
    await messageWith(a.page, "can you check the weather?").locator(".mention", { hasText: "@Bob" }).waitFor();

    const row = b.page.locator(`.room-list li[data-room-id="${roomId}"]`);
    await row.locator(".mention-badge", { hasText: "@1" }).waitFor();
    await b.page.screenshot({ path: `${SHOTS}mention-badge.png` });

    await row.getByRole("link").click();
    const mentioned = messageWith(b.page, "can you check the weather?");
    await mentioned.and(b.page.locator(".mentions-me")).locator(".mention.me", { hasText: "@Bob" }).waitFor();
    await row.locator(".mention-badge").waitFor({ state: "detached" }); // read: no longer counted
  });

  it("pins: a member's pin is refused with the server's error; the owner's shows in the pinned bar on both pages", async () => {
    await message(b.page, "And the stove?").getByRole("button", { name: "Pin message" }).click();
    await b.page.locator(".toast", { hasText: "Could not pin" }).waitFor();
    expect(await b.page.locator(".pinned-bar").isVisible()).to.equal(false);

    await message(a.page, "Who brings the tent?").getByRole("button", { name: "Pin message" }).click();
    for (const p of [a, b]) {
      await p.page.locator(".pinned-bar .pin", { hasText: "Who brings the tent?" }).waitFor();
      await message(p.page, "Who brings the tent?").and(p.page.locator(".pinned")).waitFor();
      await p.page.locator(".msg.system", { hasText: "Ann pinned a message" }).waitFor();
    }
    await b.page.screenshot({ path: `${SHOTS}pins.png` });
  });

  it("resync: while Bob is offline Ann edits, deletes, reacts and sends; back online, Bob's page shows it all without a reload", async () => {
    let loads = 0;
    b.page.on("load", () => loads++);
    await b.page.evaluate(() => ((globalThis as { __sameDocument?: boolean }).__sameDocument = true));

    bNet.socketBlocked = true;
    for (const ws of bNet.sockets.splice(0)) await ws.close();
    await b.page.locator(".conn:not([data-state=online])").waitFor();

    // Ann's changes, each confirmed on her own page.
    await message(a.page, "Who brings the tent?").getByRole("button", { name: "Edit message" }).click();
    await a.page.getByLabel("Message", { exact: true }).fill("Who brings the big tent?");
    await a.page.getByLabel("Message", { exact: true }).press("Enter");
    await message(a.page, "Who brings the big tent?").locator(".edited").waitFor();

    const stove = message(a.page, "And the stove?");
    await stove.getByRole("button", { name: "Delete message" }).click();
    await stove.getByRole("button", { name: "Delete message" }).click(); // confirm
    await stove.waitFor({ state: "detached" });

    const reply = message(a.page, "I will");
    await reply.getByRole("button", { name: "React to message" }).click();
    await reply.getByRole("button", { name: "React 🎉" }).click();
    await chip(reply, "🎉").waitFor();
    await send(a, "See you Saturday");

    // Nothing of it reached Bob's open room: his socket is down.
    expect(await message(b.page, "Who brings the tent?").count()).to.equal(1);
    expect(await chip(message(b.page, "I will"), "🎉").count()).to.equal(0);

    // Back online: room:join with afterSeq and afterRev brings the new message and the changes.
    bNet.socketBlocked = false;
    await b.page.locator(".conn[data-state=online]").waitFor({ timeout: 20_000 });
    await message(b.page, "See you Saturday").waitFor();
    await message(b.page, "Who brings the big tent?").locator(".edited").waitFor();
    await b.page.locator(".msg.deleted", { hasText: "Message deleted" }).waitFor();
    await chip(message(b.page, "I will"), "🎉").locator(".reaction-count", { hasText: /^1$/ }).waitFor();
    // The reply quotes the original as it is now, and the pinned bar shows the edit.
    await message(b.page, "I will").locator(".quote-text", { hasText: "Who brings the big tent?" }).waitFor();
    await b.page.locator(".pinned-bar .pin", { hasText: "Who brings the big tent?" }).waitFor();
    expect(await message(b.page, "And the stove?").count()).to.equal(0);
    expect(await message(b.page, "See you Saturday").count()).to.equal(1);

    expect(loads).to.equal(0);
    expect(await b.page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).to.equal(true);
  });

  it("a click on a quote whose original is not loaded loads older history until it is, then shows it", async () => {
    const seq = Number(await message(a.page, "Who brings the big tent?").getAttribute("data-seq"));
    const login = await api.post("/api/auth/login", { email: a.email, password: a.password });
    expect(login.status).to.equal(200);
    const token = login.body.accessToken as string;
    // 60 messages push the original out of the newest page (50), then a reply to it, over HTTP.
    for (let i = 1; i <= 60; i++) {
      const res = await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: `filler-${i}`, text: `filler ${String(i).padStart(2, "0")}` }, token);
      expect(res.status).to.equal(201);
    }
    const reply = await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: "late-reply", text: "Still the big one?", replyToSeq: seq }, token);
    expect(reply.status).to.equal(201);
    expect(reply.body.message.replyTo).to.deep.equal({ seq, senderId: reply.body.message.senderId, text: "Who brings the big tent?" });

    await b.page.reload();
    await b.page.locator(`.room-list li[data-room-id="${roomId}"] a`).click();
    const late = message(b.page, "Still the big one?");
    await late.locator(".quote-text", { hasText: "Who brings the big tent?" }).waitFor();
    expect(await message(b.page, "Who brings the big tent?").count()).to.equal(0); // not in the newest page
    await late.locator(".quote").click();
    const original = message(b.page, "Who brings the big tent?");
    await original.and(b.page.locator(".highlight")).waitFor();
    expect(await original.isVisible()).to.equal(true);
    await b.page.locator(".pinned-bar .pin", { hasText: "Who brings the big tent?" }).waitFor();
  });

  it("blocks: Bob blocks Ann from her name in the chat; Ann can no longer open a direct room with him nor message him there, and is told so", async () => {
    // Their direct room, opened before the block.
    await a.page.getByRole("link", { name: "Friends" }).click();
    await a.page.getByRole("button", { name: "Message Bob" }).click();
    await a.page.locator(".chat-title", { hasText: "Bob" }).waitFor();
    await send(a, "Before the block");

    await message(b.page, "I will").waitFor(); // Bob is still in the group
    await b.page.locator(".msg-head .sender", { hasText: "Ann" }).first().click();
    const card = b.page.getByRole("dialog", { name: "Ann" });
    await card.getByRole("button", { name: "Block Ann" }).click();
    await card.getByRole("button", { name: "Unblock Ann" }).waitFor();
    await card.getByRole("button", { name: "Close" }).click();
    await card.waitFor({ state: "detached" });

    // Opening the direct room again is refused (FORBIDDEN), shown where Ann asked.
    await a.page.getByRole("link", { name: "Friends" }).click();
    await a.page.getByRole("button", { name: "Message Bob" }).click();
    await a.page.locator(".friends-view [role=status]", { hasText: "you cannot message this user" }).waitFor();

    // A message in the room they already share is refused too, and the row says why.
    const refused = "After the block";
    await a.page.getByLabel("Message", { exact: true }).fill(refused);
    await a.page.getByLabel("Message", { exact: true }).press("Enter");
    await message(a.page, refused).locator(".status", { hasText: "Not sent: you cannot message this user" }).waitFor();
  });
});
