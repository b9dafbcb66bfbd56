// Files and music in the browser client: Debian's Chromium (playwright-core), two users on two
// nodes sharing one DATA_DIR. A sends a picture with the composer's attach button and B sees its
// preview; A plays a track for the room and B's player plays it through hls.js, with the bearer
// token on every HLS request. Waits are on visible state or the audio element's own state.
import path from "node:path";
import { expect } from "chai";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { signUp, type TestUser } from "../helpers/api.js";
import { useBrowser } from "../helpers/browser.js";
import { mediaEnv, postTrack, sineAudio, waitForTrack } from "../helpers/media.js";
import type { TestNode } from "../helpers/nodes.js";
import { groupWith } from "../helpers/rooms.js";
import { SHOTS } from "../helpers/screenshots.js";
import { useCluster } from "../helpers/suite.js";

describe("web client: files and music (Chromium, two users on two nodes)", function () {
  this.timeout(120_000);
  const { newContext } = useBrowser();
  const { nodes, apis: [api] } = useCluster(2, async () => ({ env: await mediaEnv("postgres") }), { sharedDataDir: true });
  let ann: TestUser;
  let bob: TestUser;
  let roomId: string;
  let pages: Record<"ann" | "bob", Page>;
  const hlsRequests: { url: string; auth: boolean }[] = [];

  before(async () => {
    [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
    roomId = await groupWith(api, ann, [bob], "Listening party");
    const open = async (user: TestUser, node: TestNode) => {
      const context = await newContext(node, { timeout: 15_000 });
      const page = await context.newPage();
      page.on("request", (r) => {
        if (r.url().includes("/hls/")) hlsRequests.push({ url: r.url(), auth: /^Bearer \S+$/.test(r.headers().authorization ?? "") });
      });
      await page.goto("/");
      const form = page.locator("#login-form");
      await form.getByLabel("Email").fill(user.email);
      await form.getByLabel("Password").fill(user.password);
      await form.getByLabel("Password").press("Enter");
      await page.locator(".conn[data-state=online]").waitFor();
      await page.goto(`/#/room/${roomId}`);
      await page.getByLabel("Message", { exact: true }).waitFor();
      return page;
    };
    pages = { ann: await open(ann, nodes[0]), bob: await open(bob, nodes[1]) };
  });

  it("sends a picture with the attach button; both see its preview and its name", async () => {
    const png = await sharp({ create: { width: 600, height: 300, channels: 3, background: { r: 20, g: 120, b: 200 } } }).png().toBuffer();
    await pages.ann.locator(".composer input[type=file]").setInputFiles({ name: "beach.png", mimeType: "image/png", buffer: png });
    for (const page of [pages.ann, pages.bob]) {
      const thumb = page.locator(".messages .file-thumb[alt='beach.png']");
      await thumb.waitFor();
      // The preview really decoded (a 320 px wide webp from the server), not just an <img> tag.
      await page.waitForFunction(() => {
        // Runs in the page; the test's own types have no DOM.
        const img = (globalThis as any).document.querySelector(".messages .file-thumb");
        return !!img && img.complete && img.naturalWidth === 320;
      });
      expect(await page.locator(".messages .file-link").last().textContent()).to.match(/beach\.png/);
    }
  });

  it("plays a track for the room: the other member's player follows through hls.js, with the token on every HLS request", async () => {
    // Tracks are listed for everyone: a title of this run's own, among earlier runs' tracks.
    const title = `Party tune ${Date.now().toString(36)}`;
    const { track } = (await postTrack(api, ann, await sineAudio(20), title)).body;
    expect((await waitForTrack(api, ann.accessToken, track.id)).status).to.equal("ready");

    await pages.bob.getByRole("button", { name: "♫ Music" }).click();
    await pages.ann.getByRole("button", { name: "♫ Music" }).click();
    const row = pages.ann.locator(".music-list li").filter({ hasText: title });
    await row.getByRole("button", { name: "▶ Play for everyone" }).click();

    for (const page of [pages.bob, pages.ann]) {
      await page.locator(".music-now").filter({ hasText: `Playing: ${title}` }).waitFor();
      // The audio element itself is playing and its position moves.
      // A function, not a string: the page's CSP (no 'unsafe-eval') refuses strings evaluated in it.
      await page.waitForFunction(
        () => {
          const a = (globalThis as any).document.querySelector(".music-audio");
          return !!a && !a.paused && a.currentTime > 1;
        },
        undefined,
        { timeout: 20_000 },
      );
    }
    const segments = hlsRequests.filter((r) => r.url.endsWith(".ts"));
    expect(hlsRequests.some((r) => r.url.endsWith("/index.m3u8"))).to.equal(true);
    expect(segments.length).to.be.at.least(1);
    expect(hlsRequests.every((r) => r.auth), "every HLS request carries the bearer token").to.equal(true);

    await pages.bob.screenshot({ path: path.join(SHOTS, "music.png") });

    // Pause for everyone: Bob's player stops too.
    await pages.ann.getByRole("button", { name: "Pause for everyone" }).click();
    await pages.bob.locator(".music-now").filter({ hasText: `Paused: ${title}` }).waitFor();
    expect(await pages.bob.evaluate(`document.querySelector(".music-audio").paused`)).to.equal(true);
  });
});
