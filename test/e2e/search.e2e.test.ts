// Message search in the browser client (web/, served at `/`), end to end: Debian's Chromium
// driven by playwright-core against one node. The room and its messages are made through the
// API; the search itself goes through the UI (typing in the box above the room list).
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { signUp, type TestUser } from "../helpers/api.js";
import { useBrowser } from "../helpers/browser.js";
import { SHOTS } from "../helpers/screenshots.js";
import { useNode } from "../helpers/suite.js";

const UI_TIMEOUT_MS = 10_000;
const ROOM_NAME = "Search club";

describe("web client message search (Chromium, one node)", function () {
  this.timeout(60_000);

  const { newContext } = useBrowser();
  const { node, api } = useNode();
  let page: Page;
  let user: TestUser;
  let roomId = "";

  before(async () => {
    user = await signUp(api, `Searcher ${randomUUID().slice(0, 4)}`);
    const room = await api.post("/api/rooms", { type: "group", name: ROOM_NAME, memberIds: [] }, user.accessToken);
    expect(room.status, JSON.stringify(room.body)).to.equal(201);
    roomId = room.body.room.id;
    for (const text of ["안녕하세요 여러분", "lunch at noon", "this is <b>bold</b> and <mark>marked</mark>"]) {
      const sent = await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text }, user.accessToken);
      expect(sent.status, JSON.stringify(sent.body)).to.be.oneOf([200, 201]);
    }

    const context = await newContext(node, { timeout: UI_TIMEOUT_MS });
    page = await context.newPage();
  });

  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    const path = join(tmpdir(), "search-e2e.png");
    await page?.screenshot({ path }).catch(() => {});
    console.log(`      screen: ${path}`);
  });

  it("logs in and finds a Korean message by a two-syllable query, highlighted with <mark>", async () => {
    await page.goto("/");
    const form = page.locator("form#login-form");
    await form.getByLabel("Email").fill(user.email);
    await form.getByLabel("Password").fill(user.password);
    await form.getByLabel("Password").press("Enter");
    await page.locator(".room-list .room-name", { hasText: ROOM_NAME }).waitFor();

    await page.getByLabel("Search messages").pressSequentially("안녕");
    const hit = page.locator(".search-results li").filter({ has: page.locator("mark", { hasText: "안녕" }) });
    await hit.waitFor();
    expect(await hit.locator(".room-name").textContent()).to.equal(ROOM_NAME);
    expect(await hit.locator(".search-snippet").textContent()).to.equal("안녕하세요 여러분");
    expect(await hit.locator("mark").allTextContents()).to.deep.equal(["안녕"]);
    expect(await page.locator(".rooms-body").isHidden()).to.equal(true);
  });

  it("renders markup in a message as literal text", async () => {
    const box = page.getByLabel("Search messages");
    await box.fill("bold");
    await box.press("Enter");
    const hit = page.locator(".search-results li").filter({ has: page.locator("mark", { hasText: "bold" }) });
    await hit.waitFor();
    expect(await hit.locator(".search-snippet").textContent()).to.equal("this is <b>bold</b> and <mark>marked</mark>");
    expect(await hit.locator("b").count()).to.equal(0);
    expect(await hit.locator("mark").allTextContents()).to.deep.equal(["bold"]);
    // Taken on a Latin query: the test machine's Chromium may have no Korean font.
    await page.screenshot({ path: `${SHOTS}search.png` });

    await box.fill("no such words anywhere");
    await page.locator(".search-status", { hasText: "No results" }).waitFor();
  });

  it("opens the room on a click; Escape brings back the room list", async () => {
    const box = page.getByLabel("Search messages");
    await box.fill("lunch");
    const hit = page.locator(".search-results li", { hasText: "lunch at noon" });
    await hit.click();
    await page.waitForURL(`**/#/room/${roomId}`);
    await page.locator(".chat .chat-title", { hasText: ROOM_NAME }).waitFor();
    await page.locator(".chat .msg .text", { hasText: "lunch at noon" }).waitFor();

    await box.press("Escape");
    expect(await box.inputValue()).to.equal("");
    await page.locator(".room-list .room-name", { hasText: ROOM_NAME }).waitFor();
    expect(await page.locator(".search-results").isHidden()).to.equal(true);
  });
});
