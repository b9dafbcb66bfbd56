// The browser client on the SDK when its node dies: Chromium on the web client, through HAProxy
// (deploy/haproxy.cfg, so the page reaches "any node" at its own origin) in front of two real
// nodes on one PostgreSQL and one Redis. Ann's page is stuck to the doomed node (HAProxy's
// SERVERID cookie names it), which is its own process; a burst of 200 messages goes through the
// composer and the node is SIGKILLed while the outbox still holds most of them. The page
// reconnects through the proxy to the survivor, resyncs and resends with the same clientMsgIds
// (over HTTP while it has no socket): in the end its timeline is the server's history, with every
// acked message where it was acked, none twice, and its outbox drained (in localStorage too).
import { expect } from "chai";
import type { Page } from "playwright-core";
import { Api, signUp } from "../helpers/api.js";
import { useBrowser } from "../helpers/browser.js";
import { eventually } from "../helpers/eventually.js";
import { haproxyVersion, startHaproxy, type Haproxy } from "../helpers/haproxy.js";
import { CLUSTER_JWT_SECRET, startTestNode, type TestNode } from "../helpers/nodes.js";
import { spawnNode, type NodeProcess } from "../helpers/processes.js";

const SENDS = 200;
/** Acks seen on the page before the kill: the rest of the burst is still in the outbox. */
const ACKED_BEFORE_KILL = 40;
// The per-socket send burst is raised as load tests raise it: the whole burst is queued at once.
const LIMITS = { RATE_LIMIT_SOCKET_SENDS: "2000", RATE_LIMIT_SOCKET_EVENTS: "2000" };

/** The page's message rows: [seq, text] of those stored, and how many are still pending. */
async function rows(page: Page): Promise<{ stored: [number, string][]; pending: number }> {
  return page.evaluate(() => {
    // Runs in the page; the test's own types have no DOM.
    const doc = (globalThis as any).document;
    const all = [...doc.querySelectorAll(".messages .msg")] as any[];
    return {
      stored: all.filter((li) => li.dataset.seq).map((li) => [Number(li.dataset.seq), li.querySelector(".text")?.textContent ?? ""] as [number, string]),
      pending: all.filter((li) => li.classList.contains("pending")).length,
    };
  });
}

describe("the browser client through the proxy, its node SIGKILLed mid-burst (Chromium, SDK)", function () {
  this.timeout(180_000);
  const { newContext } = useBrowser();
  let doomed: NodeProcess | undefined;
  let survivor: TestNode | undefined;
  let lb: Haproxy | undefined;

  before(async function () {
    if (!haproxyVersion()) {
      if (process.env.CI) throw new Error("haproxy is not on the PATH; CI must install Debian's haproxy (.ci/run does)");
      console.log("      (skipped: haproxy is not on the PATH; install it with apt-get install haproxy, or set CI=1 to fail instead)");
      this.skip();
    }
    this.timeout(120_000); // a node process compiles its TypeScript as it starts: seconds, more on a busy machine
    [doomed, survivor] = await Promise.all([spawnNode(LIMITS, { startTimeoutMs: 90_000 }), startTestNode({ redis: true, env: { JWT_SECRET: CLUSTER_JWT_SECRET, ...LIMITS } })]);
    // app1 is the doomed node, app2 the survivor.
    lb = await startHaproxy([new URL(doomed.url).host, new URL(survivor.url).host]);
  });
  after(async function () {
    this.timeout(30_000);
    await lb?.stop();
    doomed?.child.kill("SIGKILL");
    await survivor?.stop();
  });

  it("ends with the server's history: nothing acked lost, nothing twice, the outbox drained", async () => {
    const api = new Api(survivor!.url);
    const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
    const roomId: string = (await api.post("/api/rooms", { type: "direct", userId: bob.id }, ann.accessToken)).body.room.id;
    const { user } = (await api.get("/api/me", ann.accessToken)).body;

    const context = await newContext(lb!, { timeout: 20_000 });
    // Ann's socket goes to the doomed node: the cookie HAProxy keeps a session on its node with.
    await context.addCookies([{ name: "SERVERID", value: "app1", url: lb!.url }]);
    const session = { user, accessToken: ann.accessToken, refreshToken: ann.refreshToken };
    await context.addInitScript({ content: `if (!localStorage.getItem("chat.session")) localStorage.setItem("chat.session", ${JSON.stringify(JSON.stringify(session))});` });
    const page = await context.newPage();
    await page.goto(`/#/room/${roomId}`);
    await page.locator(".conn[data-state=online]").waitFor();
    await page.locator(".history-status", { hasText: "beginning of the conversation" }).waitFor();
    const serverId = async () => (await context.cookies()).find((c) => c.name === "SERVERID")?.value;
    expect(await serverId(), "the page's node").to.equal("app1");

    // The burst, typed into the composer and submitted as Enter would, all in one go.
    await page.evaluate((count) => {
      const input = (globalThis as any).document.querySelector(".composer textarea[name=message]");
      for (let i = 0; i < count; i++) {
        input.value = `message ${i}`;
        input.form.requestSubmit();
      }
    }, SENDS);
    await eventually(async () => (await rows(page)).stored.length >= ACKED_BEFORE_KILL, { within: 30_000, every: 5, what: `${ACKED_BEFORE_KILL} acks before the kill` });
    doomed!.child.kill("SIGKILL");
    const atKill = await rows(page);
    expect(await doomed!.exited).to.equal("SIGKILL");
    expect(atKill.pending, "sends still in the outbox when the node died").to.be.greaterThan(0);

    // The page drains its outbox through the survivor, and shows every message once.
    await eventually(
      async () => {
        const now = await rows(page);
        return now.pending === 0 && now.stored.length === SENDS;
      },
      { within: 60_000, every: 200, what: "every send stored and shown" },
    );
    await page.locator(".conn[data-state=online]").waitFor({ timeout: 30_000 });
    expect(await serverId(), "the page's node after the kill").to.equal("app2");

    const history = await api.get(`/api/rooms/${roomId}/messages?after=0&limit=100`, ann.accessToken);
    const rest = await api.get(`/api/rooms/${roomId}/messages?after=100&limit=100`, ann.accessToken);
    const server = [...history.body.messages, ...rest.body.messages] as { seq: number; text: string; clientMsgId: string }[];
    // Exactly the burst, once each, seqs 1…200 with no gap.
    expect(server.map((m) => m.seq)).to.deep.equal(Array.from({ length: SENDS }, (_, i) => i + 1));
    expect(new Set(server.map((m) => m.clientMsgId)).size).to.equal(SENDS);
    expect(server.map((m) => m.text).sort()).to.deep.equal(Array.from({ length: SENDS }, (_, i) => `message ${i}`).sort());
    // The page's timeline is the server's history, and every message acked before the kill is where it was acked.
    const final = await rows(page);
    expect(final.stored).to.deep.equal(server.map((m) => [m.seq, m.text]));
    const bySeq = new Map(server.map((m) => [m.seq, m.text]));
    for (const [seq, text] of atKill.stored) expect(bySeq.get(seq), `seq ${seq}`).to.equal(text);
    // Nothing is left in the outbox's storage either.
    const kept = await page.evaluate((prefix) => {
      const storage = (globalThis as any).localStorage;
      return Array.from({ length: storage.length }, (_, i) => storage.key(i) as string).filter((k) => k.startsWith(prefix));
    }, `chat.outbox.${user.id}`);
    expect(kept).to.deep.equal([]);
  });
});
