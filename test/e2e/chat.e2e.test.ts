// The browser client (web/, served at `/`) end to end: Debian's Chromium driven by
// playwright-core, two browser contexts as two users, user A on node 1 and user B on node 2 of
// one cluster (PostgreSQL + Redis). Everything goes through the UI with real clicks and typing;
// every wait is on visible state (locators), never a fixed sleep. Screenshots of the main
// screens land in docs/screenshots/ for the README.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Locator, Page, WebSocketRoute } from "playwright-core";
import { useBrowser } from "../helpers/browser.js";
import { asSteps, message, type Person } from "../helpers/chat-pages.js";
import type { TestNode } from "../helpers/nodes.js";
import { SHOTS } from "../helpers/screenshots.js";
import { useCluster } from "../helpers/suite.js";

const WIDE = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const UI_TIMEOUT_MS = 10_000;
const ACCESS_TTL_S = 10;



/** Wheels the chat up until `target` is in the list (each wheel may load one older page). */
async function scrollUpUntil(page: Page, target: Locator): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await page.locator(".chat-scroll").hover();
    await page.mouse.wheel(0, -20_000);
    try {
      await target.waitFor({ state: "attached", timeout: 2_000 });
      return;
    } catch {
      // not yet: the list was not at the top, or the page is still loading; wheel again
    }
  }
  await target.waitFor({ state: "attached" });
}

describe("web client end to end (Chromium, two users on two nodes)", function () {
  this.timeout(120_000);

  const { newContext } = useBrowser();
  // Short-lived access tokens (10 s, the minimum): the pages must renew them as they go.
  const { nodes, apis: [api] } = useCluster(2, { env: { ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_S) } });
  let a: Person;
  let b: Person;
  let roomId = "";
  const refreshes: Record<string, number> = { Ann: 0, Bob: 0 };
  // B's network switches, for the dropped-connection steps.
  const bNet = { socketBlocked: false, dropSendReplies: false, sockets: [] as WebSocketRoute[] };

  before(async () => {
    const person = async (name: string, node: TestNode): Promise<Person> => {
      const context = await newContext(node, { viewport: WIDE, timeout: UI_TIMEOUT_MS });
      const page = await context.newPage();
      page.on("request", (r) => r.url().endsWith("/api/auth/refresh") && refreshes[name]!++);
      return { name, email: `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.test`, password: "correct horse battery", context, page };
    };
    a = await person("Ann", nodes[0]);
    b = await person("Bob", nodes[1]);

    // B's traffic can be cut like a flaky network: the socket (both transports), and the
    // replies to HTTP sends (the server stores the message, the browser never hears back).
    await b.context.routeWebSocket(/\/socket\.io\//, (ws) => {
      if (bNet.socketBlocked) return ws.close();
      ws.connectToServer();
      bNet.sockets.push(ws);
    });
    await b.context.route(/\/socket\.io\//, (route) => (bNet.socketBlocked ? route.abort("connectionrefused") : route.continue()));
    await b.context.route(/\/api\/rooms\/[^/]+\/messages$/, async (route) => {
      if (!bNet.dropSendReplies || route.request().method() !== "POST") return route.continue();
      await route.fetch(); // reaches the server and is stored...
      return route.abort("connectionreset"); // ...but the reply is lost
    });
  });

  asSteps("chat", () => [a, b]);

  it("shows a log-in form at / without a session; both users sign up (Enter submits)", async () => {
    for (const p of [a, b]) {
      await p.page.goto("/");
      const form = p.page.locator("form#login-form");
      await form.waitFor();
      expect(await form.locator("input[type=email]").getAttribute("autocomplete")).to.equal("username");
      expect(await form.locator("input[type=password]").getAttribute("autocomplete")).to.equal("current-password");
    }
    await a.page.screenshot({ path: `${SHOTS}login.png` });

    for (const p of [a, b]) {
      await p.page.getByRole("button", { name: "Create an account" }).click();
      const form = p.page.locator("form#signup-form");
      expect(await form.getByLabel("Password").getAttribute("autocomplete")).to.equal("new-password");
      await form.getByLabel("Display name").fill(p.name);
      await form.getByLabel("Email").fill(p.email);
      await form.getByLabel("Password").fill(p.password);
      await form.getByLabel("Password").press("Enter");
      await p.page.locator(".topbar .me", { hasText: p.name }).waitFor();
      await p.page.locator(".conn[data-state=online]").waitFor();
    }
  });

  it("befriends: A finds B and sends a request, B accepts it live, both see a presence dot", async () => {
    await a.page.getByRole("link", { name: "Friends" }).click();
    await a.page.getByLabel("Find people by name or email").fill(b.email);
    await a.page.getByLabel("Find people by name or email").press("Enter");
    await a.page.getByRole("button", { name: "Add Bob as a friend" }).click();
    await a.page.locator(".search-results", { hasText: "Request sent" }).waitFor();

    await b.page.getByRole("link", { name: /Friends/ }).click();
    await b.page.locator(".tab .badge", { hasText: "1" }).waitFor(); // the request arrived live
    await b.page.getByRole("button", { name: "Accept friend request from Ann" }).click();

    await b.page.locator(".friend-list .friend", { hasText: "Ann" }).locator(".dot.online").waitFor();
    await a.page.locator(".friend-list .friend", { hasText: "Bob" }).locator(".dot.online").waitFor();
    await a.page.screenshot({ path: `${SHOTS}friends.png` });

    // A direct chat from the friends list: named after the other person on each side.
    await a.page.getByRole("button", { name: "Message Bob" }).click();
    await a.page.locator(".chat-title", { hasText: "Bob" }).waitFor();
    await b.page.getByRole("link", { name: /Chats/ }).click();
    await b.page.locator(".room-list .room-name", { hasText: "Ann" }).waitFor();
  });

  it("creates a group room with an invite; B accepts the invite from the live room list", async () => {
    await a.page.getByRole("link", { name: /Chats/ }).click();
    await a.page.getByRole("button", { name: "New group" }).click();
    await a.page.getByLabel("Group name").fill("Weekend plans");
    await a.page.getByLabel("Bob").check();
    await a.page.getByRole("button", { name: "Create group" }).click();
    await a.page.locator(".chat-title", { hasText: "Weekend plans" }).waitFor();
    roomId = decodeURIComponent(new URL(a.page.url()).hash.replace("#/room/", ""));
    expect(roomId).to.match(/^[0-9a-f-]{36}$/);

    await b.page.getByRole("link", { name: /Chats/ }).click();
    const invite = b.page.locator(".invite", { hasText: "Weekend plans" });
    await invite.locator("strong", { hasText: "Ann" }).waitFor();
    await invite.getByRole("button", { name: "Accept invite to Weekend plans" }).click();
    await b.page.locator(".chat-title", { hasText: "Weekend plans" }).waitFor();
    await a.page.locator(".chat-subtitle", { hasText: "2 members" }).waitFor();
  });

  it("exchanges messages both ways, with typing, read receipts and live room-list badges", async () => {
    // B steps out of the room: A's message then stays unread by one member.
    await b.page.getByRole("link", { name: /Chats/ }).click();
    await b.page.locator(".placeholder").waitFor();

    await a.page.getByLabel("Message", { exact: true }).fill("Hi Bob, are you in?");
    await a.page.getByLabel("Message", { exact: true }).press("Enter");
    const sent = message(a.page, "Hi Bob, are you in?");
    await sent.locator(".unread", { hasText: /^1$/ }).waitFor();

    const row = b.page.locator(`.room-list li[data-room-id="${roomId}"]`);
    await row.locator(".room-preview", { hasText: "Ann: Hi Bob, are you in?" }).waitFor();
    await row.locator(".badge", { hasText: /^1$/ }).waitFor();
    await b.page.screenshot({ path: `${SHOTS}rooms.png` });

    // B opens the room: reading it clears the count in A's view (receipt across nodes).
    await row.getByRole("link").click();
    await message(b.page, "Hi Bob, are you in?").waitFor();
    await sent.locator(".unread").waitFor({ state: "detached" });
    await row.locator(".badge").waitFor({ state: "detached" });

    // Typing shows on the other side, and stops when the message goes.
    await b.page.getByLabel("Message", { exact: true }).pressSequentially("Yes, here");
    await a.page.locator(".typing", { hasText: "Bob is typing…" }).waitFor();
    await b.page.getByLabel("Message", { exact: true }).press("Enter");
    await message(a.page, "Yes, here").waitFor();
    await a.page.locator(".typing.active").waitFor({ state: "detached" });
    await message(b.page, "Yes, here").locator(".unread").waitFor({ state: "detached" }); // A read it at once

    // Grouping: a second message from the same sender continues the group (no new header).
    await b.page.getByLabel("Message", { exact: true }).fill("What time?");
    await b.page.getByLabel("Message", { exact: true }).press("Enter");
    await message(a.page, "What time?").and(a.page.locator(".continued")).waitFor();

    // B steps out again; A's next message shows "1" (not read by one member) until B is back.
    await b.page.getByRole("link", { name: /Chats/ }).click();
    await b.page.locator(".placeholder").waitFor();
    await a.page.getByLabel("Message", { exact: true }).fill("Saturday at 10, at the station?");
    await a.page.getByLabel("Message", { exact: true }).press("Enter");
    const question = message(a.page, "Saturday at 10, at the station?");
    await question.locator(".unread", { hasText: /^1$/ }).waitFor();
    await a.page.locator(".room-preview", { hasText: "You: Saturday at 10" }).waitFor();
    await a.page.screenshot({ path: `${SHOTS}chat.png` });
    await row.getByRole("link").click();
    await message(b.page, "Saturday at 10, at the station?").waitFor();
    await question.locator(".unread").waitFor({ state: "detached" });
  });

  it("renders a message with <script> as text, never as HTML", async () => {
    const evil = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b>`;
    await a.page.getByLabel("Message", { exact: true }).fill(evil);
    await a.page.getByLabel("Message", { exact: true }).press("Enter");
    const shown = message(b.page, evil);
    await shown.waitFor();
    expect(await shown.locator(".text").textContent()).to.equal(evil);
    expect(await b.page.locator(".messages script, .messages img, .messages b").count()).to.equal(0);
    expect(await b.page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).to.equal(undefined);
  });

  it("edits and deletes own messages, live on the other side", async () => {
    await message(a.page, "Hi Bob, are you in?").getByRole("button", { name: "Edit message" }).click();
    await a.page.getByLabel("Message", { exact: true }).fill("Hi Bob, are you around?");
    await a.page.getByLabel("Message", { exact: true }).press("Enter");
    await message(b.page, "Hi Bob, are you around?").locator(".edited").waitFor();

    const evil = message(a.page, `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold?</b>`);
    await evil.getByRole("button", { name: "Delete message" }).click();
    await evil.getByRole("button", { name: "Delete message" }).click(); // confirm
    await b.page.locator(".msg.deleted", { hasText: "Message deleted" }).waitFor();
  });

  it("survives a dropped connection: long-poll room list, unsent message retried with the same clientMsgId, resync", async () => {
    // Cut B's socket (both transports), as a network that drops it would.
    bNet.socketBlocked = true;
    for (const ws of bNet.sockets.splice(0)) await ws.close();
    await b.page.locator(".conn", { hasText: "updates via long-poll" }).waitFor();

    // A message while B is away: B's room list hears of it through GET /api/events.
    await a.page.getByLabel("Message", { exact: true }).fill("Sent while you were away");
    await a.page.getByLabel("Message", { exact: true }).press("Enter");
    await b.page.locator(`.room-list li[data-room-id="${roomId}"] .room-preview`, { hasText: "Ann: Sent while you were away" }).waitFor();

    // B sends over HTTP (no socket); the server stores it but the reply is lost: "Not sent".
    bNet.dropSendReplies = true;
    await b.page.getByLabel("Message", { exact: true }).fill("Did this arrive?");
    await b.page.getByLabel("Message", { exact: true }).press("Enter");
    const unsent = message(b.page, "Did this arrive?");
    await unsent.getByRole("button", { name: "Retry" }).waitFor();
    await message(a.page, "Did this arrive?").waitFor(); // it was stored

    // Retry (same clientMsgId): the server answers with the original, no second copy.
    bNet.dropSendReplies = false;
    await unsent.getByRole("button", { name: "Retry" }).click();
    await unsent.locator(".status").waitFor({ state: "detached" });

    // The socket comes back: the open room resyncs the message it missed.
    bNet.socketBlocked = false;
    await b.page.locator(".conn[data-state=online]").waitFor({ timeout: 20_000 });
    await message(b.page, "Sent while you were away").waitFor();
    await b.page.locator(`.room-list li[data-room-id="${roomId}"] .badge`).waitFor({ state: "detached" });
    expect(await message(b.page, "Did this arrive?").count()).to.equal(1);
    expect(await message(a.page, "Did this arrive?").count()).to.equal(1);
    expect(await message(b.page, "Sent while you were away").count()).to.equal(1);
  });

  it("scrolling up loads older history (120 messages seeded over HTTP); a reload keeps the session", async () => {
    // A's own login for the seeding; access tokens live 10 s here, so renew it on a 401.
    const login = async () => {
      const res = await api.post("/api/auth/login", { email: a.email, password: a.password });
      expect(res.status).to.equal(200);
      return res.body.accessToken as string;
    };
    let token = await login();
    // B is out of the room meanwhile (on the room list), as a user who comes back later.
    await b.page.getByRole("link", { name: /Chats/ }).click();
    await b.page.locator(".placeholder").waitFor();
    for (let i = 1; i <= 120; i++) {
      const send = () => api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: `seed-${i}`, text: `history ${String(i).padStart(3, "0")}` }, token);
      let res = await send();
      if (res.status === 401) {
        token = await login();
        res = await send();
      }
      expect(res.status).to.equal(201);
    }
    await message(a.page, "history 120").waitFor(); // A has the room open: all came live
    await b.page.locator(`.room-list li[data-room-id="${roomId}"] .badge`, { hasText: "99+" }).waitFor();

    // A reload keeps the session (and the route); opening the room shows the newest page only.
    // The stored access token is swapped for one the server refuses (it looks valid for an
    // hour): the page must take the 401 / `unauthorized`, refresh, and carry on unseen.
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const refused = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "x", sid: "x", iat: now, exp: now + 3600 })}.bm90LXNpZ25lZA`;
    await b.page.evaluate((token) => {
      const { localStorage } = globalThis as unknown as { localStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } };
      const session = JSON.parse(localStorage.getItem("chat.session")!);
      localStorage.setItem("chat.session", JSON.stringify({ ...session, accessToken: token }));
    }, refused);
    const before = refreshes.Bob!;
    await b.page.reload();
    await b.page.locator(".topbar .me", { hasText: "Bob" }).waitFor();
    await b.page.locator(".conn[data-state=online]").waitFor();
    expect(await b.page.locator("form#login-form").count()).to.equal(0);
    expect(refreshes.Bob).to.equal(before + 1); // one refresh, shared by every request waiting on it
    await b.page.locator(`.room-list li[data-room-id="${roomId}"] a`).click();
    await message(b.page, "history 120").waitFor();
    expect(await message(b.page, "history 050").count()).to.equal(0);

    // Scroll to the top with the mouse wheel: the page before comes in, then the rest.
    await scrollUpUntil(b.page, message(b.page, "history 050"));
    await scrollUpUntil(b.page, message(b.page, "history 001"));
    await b.page.locator(".history-status", { hasText: "beginning of the conversation" }).waitFor();
  });

  it("falls back to HTTP long-polling when WebSocket is blocked (B's second device, signed in with the log-in form)", async () => {
    const context = await newContext(nodes[0], { viewport: PHONE, timeout: UI_TIMEOUT_MS });
    await context.routeWebSocket(/\/socket\.io\//, (ws) => ws.close()); // a proxy that refuses WebSocket
    try {
      const page = await context.newPage();
      await page.goto("/");
      const form = page.locator("form#login-form");
      await form.getByLabel("Email").fill(b.email);
      await form.getByLabel("Password").fill(b.password);
      await form.getByLabel("Password").press("Enter");
      await page.locator(".conn", { hasText: "Connected (long-polling)" }).waitFor();
      await page.locator(`.room-list li[data-room-id="${roomId}"] a`).click();
      await a.page.getByLabel("Message", { exact: true }).fill("Seen over polling?");
      await a.page.getByLabel("Message", { exact: true }).press("Enter");
      await message(page, "Seen over polling?").waitFor();
      await page.locator(".conn", { hasText: "Connected (long-polling)" }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("works at phone width; signing out and in again with the log-in form", async () => {
    await b.page.setViewportSize(PHONE);
    await b.page.getByLabel("Message", { exact: true }).fill("From my phone");
    await b.page.getByLabel("Message", { exact: true }).press("Enter");
    await message(a.page, "From my phone").waitFor();
    await message(b.page, "From my phone").waitFor();
    expect(await b.page.locator(".sidebar").isVisible()).to.equal(false);
    await b.page.screenshot({ path: `${SHOTS}phone-chat.png` });
    await b.page.getByRole("button", { name: "Back to chats" }).click();
    await b.page.locator(`.room-list li[data-room-id="${roomId}"]`).waitFor();
    expect(await b.page.locator(".chat").count()).to.equal(0);
    await b.page.screenshot({ path: `${SHOTS}phone-rooms.png` });

    await a.page.getByRole("button", { name: "Sign out" }).click();
    const form = a.page.locator("form#login-form");
    await form.getByLabel("Email").fill(a.email);
    await form.getByLabel("Password").fill(a.password);
    await form.getByLabel("Password").press("Enter");
    await a.page.locator(`.room-list li[data-room-id="${roomId}"]`).waitFor();
  });
});
