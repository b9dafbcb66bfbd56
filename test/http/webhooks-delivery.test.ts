// An outgoing webhook's guarantees against a target that fails (PROTOCOL.md, "Integrations"): a
// local receiver answers 500 to every third request and is down (its port closed) for 5 s, and the
// node delivering is killed (SIGKILL) in the middle and another started on the same database.
// Every event arrives at least once; deduplicated by id, the message events are exactly the room's
// changes, in rev order, with the member events where they happened; every signature verifies.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { spawnNode, type NodeProcess } from "../helpers/processes.js";
import { groupWith } from "../helpers/rooms.js";
import { signatureValid, WebhookReceiver } from "../helpers/webhook-receiver.js";

const ENV = { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_RETRY_BASE_MS: "100" };
const DOWN_MS = 5_000;
// A process compiles its TypeScript as it starts, on a machine other suites share.
const START_MS = 60_000;
// The killed node may have held the webhook: its lease (30 s) lapses, then the sweep (10 s) takes it up.
const DELIVERED_WITHIN_MS = 90_000;

describe("outgoing webhook deliveries through failures and a node restart", function () {
  this.timeout(180_000);
  const nodes: NodeProcess[] = [];
  const target = new WebhookReceiver();
  after(async () => {
    for (const n of nodes) n.child.kill("SIGKILL");
    await Promise.all(nodes.map((n) => n.exited));
    await target.stop();
  });

  it("delivers every event at least once, in rev order, signed, losing nothing", async () => {
    await target.start();
    target.answer = (n) => (n % 3 === 0 ? 500 : 200);
    const first = await spawnNode(ENV, { startTimeoutMs: START_MS });
    nodes.push(first);
    let api = new Api(first.url);
    const [owner, member, newcomer] = await Promise.all([signUp(api, "Owner"), signUp(api, "Member"), signUp(api, "Newcomer")]);
    const room = await groupWith(api, owner, [member], "Resilient");
    const hookUrl = (await api.post(`/api/rooms/${room}/webhooks`, { kind: "incoming", name: "CI" }, owner.accessToken)).body.webhook.url as string;
    const created = await api.post(
      `/api/rooms/${room}/webhooks`,
      { kind: "outgoing", targetUrl: target.url, events: ["message.created", "message.updated", "reaction.updated", "member.joined", "member.left"] },
      owner.accessToken,
    );
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const secret = created.body.webhook.secret as string;

    let sent = 0;
    /** Sends `n` messages in turn from the owner, the member and the incoming hook; returns the last rev. */
    const burst = async (n: number): Promise<number> => {
      let rev = 0;
      for (let i = 0; i < n; i++, sent++) {
        const text = `m${sent}`;
        const res =
          sent % 3 === 2
            ? await fetch(hookUrl.replace(new URL(hookUrl).origin, api.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) }).then(async (r) => ({ status: r.status, body: await r.json() }))
            : await api.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text }, (sent % 3 === 0 ? owner : member).accessToken);
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        rev = res.body.message.rev;
      }
      return rev;
    };
    const join = async (user: TestUser) => {
      expect((await api.post(`/api/rooms/${room}/invites`, { userIds: [user.id] }, owner.accessToken)).status).to.equal(201);
      const invite = (await api.get("/api/invites", user.accessToken)).body.invites.find((i: { roomId: string }) => i.roomId === room);
      expect((await api.post(`/api/invites/${invite.id}/accept`, undefined, user.accessToken)).status).to.equal(200);
    };

    // Up, failing every third request.
    await burst(15);
    await eventually(() => expect(target.delivered().length).to.be.greaterThan(3), { within: 20_000, what: "the first deliveries" });
    // Down for 5 s: the node retries with backoff meanwhile, and is killed in the middle of it.
    await target.stop();
    const back = new Promise<void>((resolve, reject) => setTimeout(() => target.start().then(resolve, reject), DOWN_MS));
    const beforeJoin = await burst(10);
    await join(newcomer);
    await burst(5);
    expect(target.delivered().length, "events still undelivered when the node dies").to.be.lessThan(sent);
    first.child.kill("SIGKILL");
    await first.exited;
    const second = await spawnNode(ENV, { startTimeoutMs: START_MS });
    nodes.push(second);
    api = new Api(second.url);
    const beforeLeave = await burst(10);
    expect((await api.post(`/api/rooms/${room}/leave`, undefined, newcomer.accessToken)).status).to.equal(204);
    await burst(5);
    await back;

    // The room's changes, as GET /changes pages through them: every message once, at its rev.
    const changes: { id: string; rev: number; text: string }[] = [];
    for (let after = 0, more = true; more; ) {
      const page = (await api.get(`/api/rooms/${room}/changes?afterRev=${after}&limit=100`, owner.accessToken)).body;
      changes.push(...page.messages.map((m: { id: string; rev: number; text: string }) => ({ id: m.id, rev: m.rev, text: m.text })));
      more = page.hasMore;
      after = page.rev;
    }
    expect(changes.filter((c) => /^m\d+$/.test(c.text))).to.have.length(sent);

    const expected = changes.length + 2;
    await eventually(() => expect(target.delivered()).to.have.length(expected), { within: DELIVERED_WITHIN_MS, every: 200, what: `${expected} events` });
    const events = target.delivered().map((r) => r.event);
    const messageEvents = events.filter((e) => e.data.message);
    expect(messageEvents.map((e) => ({ id: e.data.message.id, rev: e.data.message.rev, text: e.data.message.text }))).to.deep.equal(changes);
    expect(new Set(messageEvents.map((e) => e.type))).to.deep.equal(new Set(["message.created"]));
    const memberEvents = events.filter((e) => e.data.userId);
    expect(memberEvents.map((e) => [e.type, e.data.userId])).to.deep.equal([
      ["member.joined", newcomer.id],
      ["member.left", newcomer.id],
    ]);
    // Each member event sits among the message events where it happened.
    for (const [type, revBefore] of [["member.joined", beforeJoin], ["member.left", beforeLeave]] as const) {
      const at = events.findIndex((e) => e.type === type);
      expect(events.slice(0, at).every((e) => !e.data.message || e.data.message.rev <= revBefore), `${type}: no later message before it`).to.equal(true);
      expect(events.slice(at + 1).every((e) => !e.data.message || e.data.message.rev > revBefore), `${type}: no earlier message after it`).to.equal(true);
    }
    expect(target.received.every((r) => signatureValid(secret, r.body, r.headers["x-chat-signature"])), "every signature verifies").to.equal(true);
    expect(target.received.filter((r) => r.status === 500).length, "the target's failures were met").to.be.greaterThan(0);
    // The test database is shared: no webhook of ours is left to retry against a closed port.
    expect((await api.delete(`/api/rooms/${room}/webhooks/${created.body.webhook.id}`, owner.accessToken)).status).to.equal(204);
  });
});
