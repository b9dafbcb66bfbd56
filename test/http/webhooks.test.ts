// Webhooks over REST (PROTOCOL.md, "Integrations"; docs/integrations.md): who may make, list and
// delete them; an incoming hook's URL (a message through the one send path, idempotent on
// clientMsgId, rate limited, 404 once deleted); an outgoing hook's signed events, its deliveries,
// and the targets it refuses (SSRF: loopback, private, link-local… unless allowed).
import { randomBytes, randomUUID } from "node:crypto";
import { expect } from "chai";
import { MESSAGE_TEXT_MAX } from "../../src/protocol/limits.js";
import { HttpWebhookSender } from "../../src/store/http-webhook-sender.js";
import { signUp, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { groupWith } from "../helpers/rooms.js";
import { emitAck } from "../helpers/sockets.js";
import { useNode } from "../helpers/suite.js";
import { errorPaths, expectProblem } from "./expect.js";
import { signatureValid, WebhookReceiver } from "../helpers/webhook-receiver.js";

const INCOMING_PER_MINUTE = 5;
const ALL_EVENTS = ["message.created", "message.updated", "reaction.updated", "member.joined", "member.left"];

describe("webhooks over REST", function () {
  this.timeout(30_000);
  const { api, connect } = useNode({
    env: { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_RETRY_BASE_MS: "50", WEBHOOK_INCOMING_PER_MINUTE: String(INCOMING_PER_MINUTE) },
  });
  const receivers: WebhookReceiver[] = [];
  const made: { room: string; id: string; token: string }[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
    // The test database is shared: no outgoing webhook is left to retry against a closed port.
    await Promise.all(made.splice(0).map((w) => api.delete(`/api/rooms/${w.room}/webhooks/${w.id}`, w.token)));
  });
  const receiver = async () => {
    const r = new WebhookReceiver();
    await r.start();
    receivers.push(r);
    return r;
  };

  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let room: string;
  beforeEach(async () => {
    [owner, member, outsider] = await Promise.all([signUp(api, "Owner"), signUp(api, "Member"), signUp(api, "Outsider")]);
    room = await groupWith(api, owner, [member], "Hooked");
  });

  const incoming = async (name?: string) => {
    const res = await api.post(`/api/rooms/${room}/webhooks`, { kind: "incoming", ...(name ? { name } : {}) }, owner.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.webhook as { id: string; url: string; userId: string; name: string };
  };
  const outgoing = async (targetUrl: string, events = ALL_EVENTS) => {
    const res = await api.post(`/api/rooms/${room}/webhooks`, { kind: "outgoing", targetUrl, events }, owner.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    made.push({ room, id: res.body.webhook.id, token: owner.accessToken });
    return res.body.webhook as { id: string; secret: string };
  };
  /** POST to an incoming hook's URL, as an outside service would: no credentials but the URL. */
  const hook = async (url: string, body: unknown) => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  const send = async (user: TestUser, text: string) => {
    const res = await api.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text }, user.accessToken);
    expect(res.status).to.equal(201);
    return res.body.message as { id: string; seq: number; rev: number };
  };

  describe("access", () => {
    it("a non-member gets 404 NOT_FOUND on every webhook route, exactly as for a room that does not exist", async () => {
      const { id } = await outgoing("http://127.0.0.1:9/hook");
      for (const roomId of [room, randomUUID()]) {
        expectProblem(await api.post(`/api/rooms/${roomId}/webhooks`, { kind: "incoming" }, outsider.accessToken), "NOT_FOUND");
        expectProblem(await api.get(`/api/rooms/${roomId}/webhooks`, outsider.accessToken), "NOT_FOUND");
        expectProblem(await api.delete(`/api/rooms/${roomId}/webhooks/${id}`, outsider.accessToken), "NOT_FOUND");
        expectProblem(await api.get(`/api/rooms/${roomId}/webhooks/${id}/deliveries`, outsider.accessToken), "NOT_FOUND");
      }
    });

    it("a member who is neither owner nor admin gets 403 FORBIDDEN, and an admin may", async () => {
      const { id } = await outgoing("http://127.0.0.1:9/hook");
      expectProblem(await api.post(`/api/rooms/${room}/webhooks`, { kind: "incoming" }, member.accessToken), "FORBIDDEN");
      expectProblem(await api.get(`/api/rooms/${room}/webhooks`, member.accessToken), "FORBIDDEN");
      expectProblem(await api.delete(`/api/rooms/${room}/webhooks/${id}`, member.accessToken), "FORBIDDEN");
      expectProblem(await api.get(`/api/rooms/${room}/webhooks/${id}/deliveries`, member.accessToken), "FORBIDDEN");
      expect((await api.put(`/api/rooms/${room}/members/${member.id}/role`, { role: "admin" }, owner.accessToken)).status).to.equal(200);
      const listed = await api.get(`/api/rooms/${room}/webhooks`, member.accessToken);
      expect(listed.status).to.equal(200);
      expect(listed.body.webhooks.map((w: { id: string }) => w.id)).to.deep.equal([id]);
    });

    it("lists webhooks without their URL or secret, and deletes one (then 404 NOT_FOUND)", async () => {
      const inc = await incoming("Deploys");
      const out = await outgoing("http://127.0.0.1:9/hook", ["message.created"]);
      const listed = (await api.get(`/api/rooms/${room}/webhooks`, owner.accessToken)).body.webhooks;
      expect(listed.map((w: { id: string; kind: string }) => [w.id, w.kind])).to.deep.equal([
        [inc.id, "incoming"],
        [out.id, "outgoing"],
      ]);
      expect(JSON.stringify(listed)).not.to.include(out.secret).and.not.to.include(inc.url.split("/").pop());
      expect(listed[0]).to.include({ name: "Deploys", userId: inc.userId });
      expect(listed[1]).to.include({ targetUrl: "http://127.0.0.1:9/hook", failures: 0 });
      expect((await api.delete(`/api/rooms/${room}/webhooks/${out.id}`, owner.accessToken)).status).to.equal(204);
      expectProblem(await api.delete(`/api/rooms/${room}/webhooks/${out.id}`, owner.accessToken), "NOT_FOUND");
      expectProblem(await api.get(`/api/rooms/${room}/webhooks/${out.id}/deliveries`, owner.accessToken), "NOT_FOUND");
    });
  });

  describe("incoming", () => {
    it("a POST to its URL sends a message as the webhook's user, through the send path (history and the room's sockets)", async () => {
      const wh = await incoming("CI");
      expect(wh.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/api\/hooks\/wh_[A-Za-z0-9_-]{43}$/);
      const socket = await connect({ url: api.baseUrl }, member);
      expect((await emitAck(socket, "room:join", { roomId: room })).ok).to.equal(true);
      const live = new Promise<any>((resolve) => socket.on("message:new", resolve));
      const res = await hook(wh.url, { text: "build 42 passed" });
      expect(res.status).to.equal(201);
      expect(res.body.message).to.include({ text: "build 42 passed", senderId: wh.userId, roomId: room });
      expect((await live).id).to.equal(res.body.message.id);
      const history = await api.get(`/api/rooms/${room}/messages`, member.accessToken);
      expect(history.body.messages.map((m: { text: string }) => m.text)).to.include("build 42 passed");
      const members = (await api.get(`/api/rooms/${room}`, owner.accessToken)).body.members;
      const hookMember = members.find((m: { user: { id: string } }) => m.user.id === wh.userId);
      expect(hookMember, "the webhook's user is in the room").to.exist;
      expect(hookMember.role).to.equal("webhook");
      expect(hookMember.user.displayName).to.equal("CI");
    });

    it("is idempotent on clientMsgId: the same one again returns the message already posted", async () => {
      const wh = await incoming();
      const first = await hook(wh.url, { text: "once", clientMsgId: "deploy-7" });
      const again = await hook(wh.url, { text: "once", clientMsgId: "deploy-7" });
      expect([first.status, again.status]).to.deep.equal([201, 200]);
      expect(again.body.message.id).to.equal(first.body.message.id);
      const texts = (await api.get(`/api/rooms/${room}/messages`, owner.accessToken)).body.messages.map((m: { text: string }) => m.text);
      expect(texts.filter((t: string) => t === "once")).to.have.length(1);
    });

    it("is rate limited per webhook: past the limit 429 RATE_LIMITED with Retry-After; another webhook is not", async () => {
      const [a, b] = [await incoming("A"), await incoming("B")];
      for (let i = 0; i < INCOMING_PER_MINUTE; i++) expect((await hook(a.url, { text: `a${i}` })).status).to.equal(201);
      const refused = await hook(a.url, { text: "too many" });
      expect(refused.status).to.equal(429);
      expect(refused.body.code).to.equal("RATE_LIMITED");
      expect(Number(refused.headers.get("retry-after"))).to.be.greaterThan(0);
      expect((await hook(b.url, { text: "b" })).status).to.equal(201);
    });

    it("malformed payloads get 400 VALIDATION naming the field; unknown tokens 404 NOT_FOUND", async () => {
      const wh = await incoming();
      const cases: [unknown, string][] = [
        [{}, "text"],
        [{ text: 42 }, "text"],
        [{ text: "" }, "text"],
        [{ text: "x".repeat(MESSAGE_TEXT_MAX + 1) }, "text"],
        [{ text: "a\u0000b" }, "text"],
        [{ text: "ok", clientMsgId: "" }, "clientMsgId"],
        [{ text: "ok", clientMsgId: 7 }, "clientMsgId"],
        [{ text: "ok", admin: true }, "admin"],
      ];
      for (const [body, path] of cases) {
        const res = await hook(wh.url, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.code).to.equal("VALIDATION");
        expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).to.include(path);
      }
      const base = wh.url.slice(0, wh.url.lastIndexOf("/") + 1);
      for (const token of ["nope", `wh_${randomBytes(32).toString("base64url")}`, `${wh.url.split("/").pop()}x`]) {
        const res = await hook(`${base}${token}`, { text: "hi" });
        expect(res.status, token).to.equal(404);
        expect(res.body.code).to.equal("NOT_FOUND");
      }
      expect((await api.get(`/api/rooms/${room}/messages`, owner.accessToken)).body.messages).to.deep.equal([]);
    });

    it("once deleted its URL answers 404 NOT_FOUND and its user is out of the room", async () => {
      const wh = await incoming();
      expect((await hook(wh.url, { text: "before" })).status).to.equal(201);
      expect((await api.delete(`/api/rooms/${room}/webhooks/${wh.id}`, owner.accessToken)).status).to.equal(204);
      const after = await hook(wh.url, { text: "after" });
      expect(after.status).to.equal(404);
      expect(after.body.code).to.equal("NOT_FOUND");
      const members = (await api.get(`/api/rooms/${room}`, owner.accessToken)).body.members.map((m: { user: { id: string } }) => m.user.id);
      expect(members).not.to.include(wh.userId);
      const history = (await api.get(`/api/rooms/${room}/messages`, owner.accessToken)).body.messages;
      expect(history.find((m: { text: string }) => m.text === "before").senderId, "its messages keep their sender").to.equal(wh.userId);
    });
  });

  describe("outgoing", () => {
    it("malformed webhooks get 400 VALIDATION naming the field", async () => {
      const cases: [unknown, string][] = [
        [{ kind: "outgoing", targetUrl: "not a url", events: ["message.created"] }, "targetUrl"],
        [{ kind: "outgoing", targetUrl: "ftp://127.0.0.1/x", events: ["message.created"] }, "targetUrl"],
        [{ kind: "outgoing", targetUrl: "http://user:pw@127.0.0.1/x", events: ["message.created"] }, "targetUrl"],
        [{ kind: "outgoing", targetUrl: `http://127.0.0.1/${"x".repeat(2_000)}`, events: ["message.created"] }, "targetUrl"],
        [{ kind: "outgoing", events: ["message.created"] }, "targetUrl"],
        [{ kind: "outgoing", targetUrl: "http://127.0.0.1/x", events: [] }, "events"],
        [{ kind: "outgoing", targetUrl: "http://127.0.0.1/x", events: ["message.exploded"] }, "events.0"],
        [{ kind: "outgoing", targetUrl: "http://127.0.0.1/x" }, "events"],
        [{ kind: "sideways" }, "kind"],
        [{ kind: "incoming", name: "x".repeat(51) }, "name"],
      ];
      for (const [body, path] of cases) {
        expect(errorPaths(await api.post(`/api/rooms/${room}/webhooks`, body, owner.accessToken)), JSON.stringify(body).slice(0, 120)).to.include(path);
      }
      expect((await api.get(`/api/rooms/${room}/webhooks`, owner.accessToken)).body.webhooks).to.deep.equal([]);
    });

    it("POSTs the room's message, reaction and member events in order, each signed, with its id in X-Chat-Event-Id", async () => {
      const target = await receiver();
      const wh = await outgoing(target.url);
      const newcomer = await signUp(api, "Newcomer");
      const count = (n: number) => eventually(() => expect(target.delivered()).to.have.length(n), { within: 10_000 });
      const m1 = await send(owner, "first");
      await count(1);
      expect((await api.put(`/api/rooms/${room}/messages/${m1.seq}/reactions/${encodeURIComponent("👍")}`, undefined, member.accessToken)).status).to.equal(200);
      await count(2);
      const socket = await connect({ url: api.baseUrl }, owner);
      expect((await emitAck(socket, "message:edit", { roomId: room, messageId: m1.id, text: "first, edited" })).ok).to.equal(true);
      await count(3);
      expect((await api.post(`/api/rooms/${room}/invites`, { userIds: [newcomer.id] }, owner.accessToken)).status).to.equal(201);
      const invite = (await api.get("/api/invites", newcomer.accessToken)).body.invites.find((i: { roomId: string }) => i.roomId === room);
      expect((await api.post(`/api/invites/${invite.id}/accept`, undefined, newcomer.accessToken)).status).to.equal(200);
      await count(4);
      await send(newcomer, "hello all");
      await count(5);
      expect((await api.post(`/api/rooms/${room}/leave`, undefined, newcomer.accessToken)).status).to.equal(204);
      await count(6);

      const events = target.delivered().map((r) => r.event);
      expect(events.map((e) => e.type)).to.deep.equal(["message.created", "reaction.updated", "message.updated", "member.joined", "message.created", "member.left"]);
      expect(events.map((e) => e.data.message?.text ?? e.data.userId)).to.deep.equal(["first", "first", "first, edited", newcomer.id, "hello all", newcomer.id]);
      expect(events[1]!.data.message.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [member.id] }]);
      expect(events.every((e) => e.roomId === room)).to.equal(true);
      const revs = events.flatMap((e) => (e.data.message ? [e.data.message.rev] : []));
      expect(revs, "message events in rev order").to.deep.equal([...revs].sort((a, b) => a - b));
      for (const r of target.received) {
        expect(signatureValid(wh.secret, r.body, r.headers["x-chat-signature"]), `signature of ${r.event.id}`).to.equal(true);
        expect(r.headers["x-chat-event-id"]).to.equal(r.event.id);
        expect(r.headers["content-type"]).to.equal("application/json");
        expect(Number.isNaN(Date.parse(r.event.at))).to.equal(false);
      }
      expect(signatureValid("whsec_wrong", target.received[0]!.body, target.received[0]!.headers["x-chat-signature"])).to.equal(false);
    });

    it("retries a failed event with the same id and body; the deliveries list shows each attempt, newest first", async () => {
      const target = await receiver();
      target.answer = (n) => (n <= 2 ? 500 : 204);
      const wh = await outgoing(target.url);
      await send(owner, "retried");
      await eventually(() => expect(target.delivered()).to.have.length(1), { within: 10_000 });
      expect(target.received.map((r) => r.status)).to.deep.equal([500, 500, 204]);
      expect(new Set(target.received.map((r) => r.body)).size, "every attempt sends the same body").to.equal(1);
      const deliveries = (await api.get(`/api/rooms/${room}/webhooks/${wh.id}/deliveries`, owner.accessToken)).body.deliveries;
      expect(deliveries.map((d: { status: number; ok: boolean }) => [d.status, d.ok])).to.deep.equal([
        [204, true],
        [500, false],
        [500, false],
      ]);
      expect(new Set(deliveries.map((d: { eventId: string }) => d.eventId))).to.deep.equal(new Set([target.received[0]!.event.id]));
      expect(deliveries[1].error).to.match(/500/);
      expect((await api.get(`/api/rooms/${room}/webhooks/${wh.id}/deliveries?limit=1`, owner.accessToken)).body.deliveries).to.have.length(1);
    });

    it("sends only the events asked for, and nothing after the webhook is deleted", async () => {
      const members = await receiver();
      const all = await receiver();
      const onlyMembers = await outgoing(members.url, ["member.joined", "member.left"]);
      await outgoing(all.url);
      await send(owner, "not for the member hook");
      await eventually(() => expect(all.delivered()).to.have.length(1));
      expect((await api.post(`/api/rooms/${room}/leave`, undefined, member.accessToken)).status).to.equal(204);
      await eventually(() => expect(members.delivered().map((r) => r.event.type)).to.deep.equal(["member.left"]));
      expect((await api.delete(`/api/rooms/${room}/webhooks/${onlyMembers.id}`, owner.accessToken)).status).to.equal(204);
      const newcomer = await signUp(api, "Late");
      expect((await api.post(`/api/rooms/${room}/invites`, { userIds: [newcomer.id] }, owner.accessToken)).status).to.equal(201);
      const invite = (await api.get("/api/invites", newcomer.accessToken)).body.invites[0];
      expect((await api.post(`/api/invites/${invite.id}/accept`, undefined, newcomer.accessToken)).status).to.equal(200);
      await eventually(() => expect(all.delivered().map((r) => r.event.type)).to.deep.equal(["message.created", "member.left", "member.joined"]));
      expect(members.received.map((r) => r.event.type), "the deleted webhook got nothing more").to.deep.equal(["member.left"]);
    });
  });
});

describe("webhook targets without WEBHOOK_ALLOW_PRIVATE (SSRF)", function () {
  this.timeout(30_000);
  const { api } = useNode({ env: { WEBHOOK_ALLOW_HTTP: "true" } });

  it("refuses targets on loopback, private, link-local and other non-public addresses with 400 VALIDATION", async () => {
    const owner = await signUp(api, "Owner");
    const room = (await api.post("/api/rooms", { type: "group", name: "SSRF", memberIds: [] }, owner.accessToken)).body.room.id;
    for (const targetUrl of [
      "http://127.0.0.1:8080/hook",
      "https://localhost/hook",
      "http://10.0.0.5/hook",
      "http://192.168.1.1/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "http://0.0.0.0/hook",
    ]) {
      const res = await api.post(`/api/rooms/${room}/webhooks`, { kind: "outgoing", targetUrl, events: ["message.created"] }, owner.accessToken);
      expect(res.status, targetUrl).to.equal(400);
      expect(res.body.code).to.equal("VALIDATION");
      expect(errorPaths(res)).to.include("targetUrl");
    }
    expect((await api.get(`/api/rooms/${room}/webhooks`, owner.accessToken)).body.webhooks).to.deep.equal([]);
  });

  it("the sender refuses, when it connects, a name that now resolves to a private address, and private IP literals", async () => {
    const target = new WebhookReceiver();
    await target.start();
    const sender = new HttpWebhookSender({ allowPrivateTargets: false, resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    try {
      for (const url of [`http://rebound.test:${target.port}/hook`, `http://127.0.0.1:${target.port}/hook`, `http://[::ffff:7f00:1]:${target.port}/hook`]) {
        const res = await sender.post(url, "{}", { "content-type": "application/json" });
        expect(res.status, url).to.equal(null);
        expect(res.error, url).to.match(/not a public address/);
      }
      expect(target.received, "nothing reached the private address").to.deep.equal([]);
    } finally {
      sender.close();
      await target.stop();
    }
  });
});

describe("outgoing webhooks on the embedded database (pg-boss on PGlite)", function () {
  this.timeout(60_000);
  const { api } = useNode({ backend: "embedded", env: { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_RETRY_BASE_MS: "50" } }, { startTimeoutMs: 60_000 });

  it("delivers message and member events, retrying a failed one", async () => {
    const target = new WebhookReceiver();
    target.answer = (n) => (n === 1 ? 503 : 200);
    await target.start();
    try {
      const [owner, guest] = await Promise.all([signUp(api, "Owner"), signUp(api, "Guest")]);
      const room = (await api.post("/api/rooms", { type: "group", name: "Embedded", memberIds: [guest.id] }, owner.accessToken)).body.room.id;
      const made = await api.post(`/api/rooms/${room}/webhooks`, { kind: "outgoing", targetUrl: target.url, events: ["message.created", "member.joined"] }, owner.accessToken);
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      expect((await api.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text: "embedded" }, owner.accessToken)).status).to.equal(201);
      const invite = (await api.get("/api/invites", guest.accessToken)).body.invites[0];
      expect((await api.post(`/api/invites/${invite.id}/accept`, undefined, guest.accessToken)).status).to.equal(200);
      await eventually(() => expect(target.delivered().map((r) => r.event.type)).to.deep.equal(["message.created", "member.joined"]), { within: 20_000 });
      expect(target.received[0]!.status).to.equal(503);
      expect(target.received.every((r) => signatureValid(made.body.webhook.secret, r.body, r.headers["x-chat-signature"]))).to.equal(true);
    } finally {
      await target.stop();
    }
  });
});
