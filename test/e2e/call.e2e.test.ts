// A real call in Chromium: two users of the web client, on two nodes of one cluster, press the
// call button of their direct room; their browsers negotiate over call:signal and connect
// peer to peer over loopback with fake camera and microphone. Then the service worker: a push
// delivered to it (through the DevTools protocol, as a push service would) shows a notification.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import { useBrowser } from "../helpers/browser.js";
import type { TestNode } from "../helpers/nodes.js";
import { SHOTS } from "../helpers/screenshots.js";
import { useCluster } from "../helpers/suite.js";

const UI_TIMEOUT_MS = 20_000;

describe("calls and notifications in Chromium (two users on two nodes)", function () {
  this.timeout(120_000);
  const { newContext } = useBrowser({
    flags: [
      // A camera and a microphone that need no hardware and no permission prompt.
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      // Plain host candidates (not .local mDNS names, which nothing resolves headless).
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
  });
  const { nodes, apis: [api] } = useCluster(2);

  /** A signed-in page of the web client (the session put where the client keeps it), at `hash`. */
  async function openAs(node: TestNode, user: TestUser, hash: string): Promise<Page> {
    const { body } = await new Api(node.url).get("/api/me", user.accessToken);
    const context = await newContext(node, { viewport: { width: 1100, height: 760 }, timeout: UI_TIMEOUT_MS });
    await context.grantPermissions(["camera", "microphone", "notifications"], { origin: node.url });
    const session = { user: body.user, accessToken: user.accessToken, refreshToken: user.refreshToken };
    // The browser's code is a string: this file is type-checked for Node, without the DOM.
    await context.addInitScript({ content: `if (!localStorage.getItem("chat.session")) localStorage.setItem("chat.session", ${JSON.stringify(JSON.stringify(session))});` });
    const page = await context.newPage();
    await page.goto(`/${hash}`);
    await page.locator(".conn[data-state=online]").waitFor();
    return page;
  }

  it("connects two browsers' call (connectionState connected, video flowing) and ends it on hang-up", async () => {
    const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
    const room = await api.post("/api/rooms", { type: "direct", userId: bob.id }, ann.accessToken);
    const hash = `#/room/${room.body.room.id}`;
    const annPage = await openAs(nodes[0], ann, hash);
    const bobPage = await openAs(nodes[1], bob, hash);

    await annPage.locator(".chat-head .call-button", { hasText: /^Call$/ }).click();
    await annPage.locator(".call-panel .call-status", { hasText: "Waiting for others to join" }).waitFor();
    // Bob's header learns of the call live (call:updated through the other node).
    await bobPage.locator(".chat-head .call-button", { hasText: "Join call (1)" }).click();

    for (const [page, peer] of [
      [annPage, bob],
      [bobPage, ann],
    ] as const) {
      await page.locator(`.call-tile[data-user-id="${peer.id}"][data-state="connected"]`).waitFor();
      await page.locator(".call-panel[data-state=connected]").waitFor();
      // The peer's fake camera is playing here: frames arrived over the peer connection.
      // A function, not a string: the page's CSP (no 'unsafe-eval') refuses strings Playwright
      // would evaluate there while polling. It runs in the page; the test's types have no DOM.
      await page.waitForFunction((peerId) => {
        const video = (globalThis as any).document.querySelector(`.call-tile[data-user-id="${peerId}"] video`);
        return Boolean(video && video.videoWidth > 0 && video.currentTime > 0);
      }, peer.id);
    }
    await annPage.screenshot({ path: `${SHOTS}call.png` });

    await annPage.getByRole("button", { name: "Hang up" }).click();
    await bobPage.locator(".call-panel .call-status", { hasText: "Waiting for others to join" }).waitFor();
    expect(await bobPage.locator(`.call-tile[data-user-id="${ann.id}"]`).count()).to.equal(0);
    await annPage.locator(".chat-head .call-button", { hasText: "Join call (1)" }).waitFor();
  });

  it("registers the service worker, which shows a push as a notification titled for its room", async () => {
    const ann = await signUp(api, "Ann");
    const page = await openAs(nodes[0], ann, "#/");
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)");
    const cdp = await page.context().newCDPSession(page);
    const registrations = new Promise<string>((resolve) => {
      cdp.on("ServiceWorker.workerRegistrationUpdated", ({ registrations }) => {
        const mine = registrations.find((r) => r.scopeURL === `${nodes[0].url}/` && !r.isDeleted);
        if (mine) resolve(mine.registrationId);
      });
    });
    await cdp.send("ServiceWorker.enable");
    const registrationId = await registrations;
    const roomId = "0190b3a4-0000-7000-8000-000000000001";
    await cdp.send("ServiceWorker.deliverPushMessage", {
      origin: nodes[0].url,
      registrationId,
      data: JSON.stringify({ type: "message", roomId, seq: 3, count: 2, title: "Hikers", body: "Bob: on my way (+1 more)", url: `/#/room/${roomId}` }),
    });
    const shown = await page.waitForFunction(() =>
      (globalThis as any).navigator.serviceWorker.ready
        .then((reg: any) => reg.getNotifications())
        .then((list: any[]) => (list.length ? { title: list[0].title, body: list[0].body, tag: list[0].tag, data: list[0].data } : null)),
    );
    expect(await shown.jsonValue()).to.deep.equal({ title: "Hikers", body: "Bob: on my way (+1 more)", tag: `room:${roomId}`, data: { url: `/#/room/${roomId}` } });
  });
});
