// Push endpoints must never reach inside our network (server-side request forgery): a node
// refuses to register an endpoint on a non-public address, and its sender refuses to connect to
// one at send time, when what a name resolves to may have changed (DNS rebinding).
import type { LookupAddress } from "node:dns";
import { createECDH, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import webpush from "web-push";
import type { PushSubscriptionRecord } from "../../src/domain/ports/push-subscriptions.js";
import type { ResolveAll } from "../../src/security/public-address.js";
import { WebPushSender } from "../../src/store/web-push-sender.js";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { CLUSTER_JWT_SECRET, startTestNode, type TestNode } from "../helpers/nodes.js";

/** A push service stand-in on 127.0.0.1: records each request's path; answers 201, or a redirect where told. */
class StandIn {
  readonly paths: string[] = [];
  readonly redirects = new Map<string, string>();
  private server!: http.Server;
  port = 0;

  async start() {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        this.paths.push(req.url ?? "");
        const location = this.redirects.get(req.url ?? "");
        if (location) res.writeHead(307, { location }).end();
        else res.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  got(path: string) {
    return this.paths.filter((p) => p === path).length;
  }

  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A browser's keys, valid for encryption, for an endpoint of our choosing. */
function keys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") };
}

const subscribe = (api: Api, user: TestUser, endpoint: string) => api.post("/api/push/subscriptions", { endpoint, keys: keys() }, user.accessToken);

describe("push endpoints on non-public addresses (SSRF)", function () {
  this.timeout(60_000);

  describe("at subscribe time, on a node without PUSH_ALLOW_PRIVATE", () => {
    let node: TestNode;
    let api: Api;
    let ann: TestUser;

    before(async () => {
      // http:// allowed, so the refusal below is the address's alone.
      node = await startTestNode({ env: { PUSH_ALLOW_HTTP: "true" } });
      api = new Api(node.url);
      ann = await signUp(api, "Ann");
    });
    after(async () => {
      await node?.stop();
    });

    const refused = [
      "https://127.0.0.1/push/x",
      "https://127.0.0.1:8443/push/x",
      "http://127.0.0.1/push/x",
      "http://2130706433/push/x",
      "http://0177.0.0.1/push/x",
      "http://0x7f.0.0.1/push/x",
      "http://0x7f000001/push/x",
      "http://127.1/push/x",
      "https://169.254.169.254/latest/meta-data/",
      "http://0xa9fea9fe/latest/meta-data/",
      "https://10.0.0.5/push/x",
      "https://172.16.3.4/push/x",
      "https://192.168.0.10/push/x",
      "https://100.64.1.1/push/x",
      "https://0.0.0.0/push/x",
      "http://0/push/x",
      "https://255.255.255.255/push/x",
      "https://224.0.0.1/push/x",
      "https://240.0.0.1/push/x",
      "https://[::1]/push/x",
      "https://[::]/push/x",
      "https://[fc00::1]/push/x",
      "https://[fd12:3456::1]/push/x",
      "https://[fe80::1]/push/x",
      "https://[::ffff:127.0.0.1]/push/x",
      "https://[::ffff:7f00:1]/push/x",
      "https://[::ffff:169.254.169.254]/push/x",
      "https://[64:ff9b::7f00:1]/push/x",
      "https://[2002:7f00:1::]/push/x",
      "https://localhost/push/x",
      "https://LOCALHOST./push/x",
      "http://localhost:6379/push/x",
    ];
    for (const endpoint of refused) {
      it(`refuses ${endpoint} with 400 VALIDATION naming endpoint`, async () => {
        const res = await subscribe(api, ann, endpoint);
        expect(res.status, JSON.stringify(res.body)).to.equal(400);
        expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
        expect(res.body.code).to.equal("VALIDATION");
        expect(res.body.errors).to.deep.equal([{ path: "endpoint", message: "must resolve to public addresses only (not loopback, private, link-local or reserved)" }]);
      });
    }

    it("accepts public addresses (the refusals above are the address's, nothing else's)", async () => {
      for (const endpoint of ["https://8.8.8.8/push/x", "https://[2001:4860:4860::8888]/push/x", "http://1.1.1.1/push/x"]) {
        const res = await subscribe(api, ann, endpoint);
        expect(res.status, `${endpoint}: ${JSON.stringify(res.body)}`).to.equal(201);
        expect((await api.delete(`/api/push/subscriptions/${res.body.subscription.id}`, ann.accessToken)).status).to.equal(204);
      }
      expect((await api.get("/api/push/subscriptions", ann.accessToken)).body.subscriptions).to.deep.equal([]);
    });
  });

  describe("at send time, on a node without PUSH_ALLOW_PRIVATE (rows stored by a node allowing them)", () => {
    const service = new StandIn();
    const logLines: string[] = [];
    let allowing: TestNode;
    let strict: TestNode;

    before(async () => {
      await service.start();
      // One database and one Redis: the strict node pushes to subscriptions the allowing one stored.
      const common = { redis: true, env: { JWT_SECRET: CLUSTER_JWT_SECRET, PUSH_ALLOW_HTTP: "true", PUSH_COALESCE_MS: "200" } };
      allowing = await startTestNode({ ...common, env: { ...common.env, PUSH_ALLOW_PRIVATE: "true" } });
      strict = await startTestNode({ ...common, env: { ...common.env, LOG_LEVEL: "warn" }, logStream: { write: (line: string) => void logLines.push(line) } });
    });
    after(async () => {
      await Promise.all([allowing, strict].map((n) => n?.stop()));
      await service.stop();
    });

    it("refuses to post to a name resolving to 127.0.0.1 and to a loopback literal; the allowing node delivers both", async () => {
      const apiAllowing = new Api(allowing.url);
      const apiStrict = new Api(strict.url);
      const [ann, bob] = await Promise.all([signUp(apiAllowing, "Ann"), signUp(apiAllowing, "Bob")]);
      const room = await apiAllowing.post("/api/rooms", { type: "direct", userId: bob.id }, ann.accessToken);
      const roomId: string = room.body.room.id;
      const named = `/push/${randomUUID()}`;
      const literal = `/push/${randomUUID()}`;
      for (const endpoint of [`http://localhost:${service.port}${named}`, `http://127.0.0.1:${service.port}${literal}`]) {
        expect((await subscribe(apiAllowing, bob, endpoint)).status, endpoint).to.equal(201);
        expect((await subscribe(apiStrict, bob, endpoint)).status, `${endpoint} on the strict node`).to.equal(400);
      }

      // Stored through the strict node, so its window and its sender push for it.
      const sent = await apiStrict.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text: "psst" }, ann.accessToken);
      expect(sent.status).to.equal(201);
      const refusals = () => logLines.filter((l) => l.includes("push refused")).join("\n");
      await eventually(() => expect(refusals()).to.contain("localhost resolves to 127.0.0.1, not a public address").and.to.contain("127.0.0.1 is not a public address"), {
        within: 10_000,
        what: "both sends refused",
      });
      expect(service.got(named) + service.got(literal), "requests that reached the stand-in").to.equal(0);
      // Refused, not gone: the rows stay (an operator may have meant them for a test).
      expect((await apiStrict.get("/api/push/subscriptions", bob.accessToken)).body.subscriptions).to.have.length(2);

      // The same rows through the allowing node: both endpoints do reach the stand-in.
      await apiAllowing.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text: "hello?" }, ann.accessToken);
      await eventually(() => service.got(named) === 1 && service.got(literal) === 1, { within: 10_000, what: "the allowing node's pushes" });
    });
  });

  describe("WebPushSender with a resolver that changes its answer (DNS rebinding)", () => {
    const service = new StandIn();
    const vapid = webpush.generateVAPIDKeys();

    before(() => service.start());
    after(() => service.stop());

    /** Answers `first` once, then `later`: a name checked while public, re-pointed before the send. */
    function rebinding(first: string, later: string): ResolveAll & { answers: string[] } {
      const answers: string[] = [];
      const resolve = async (_hostname: string): Promise<LookupAddress[]> => {
        const address = answers.length === 0 ? first : later;
        answers.push(address);
        return [{ address, family: 4 }];
      };
      return Object.assign(resolve, { answers });
    }

    const record = (endpoint: string): PushSubscriptionRecord => ({ id: randomUUID(), userId: randomUUID(), endpoint, ...keys(), createdAt: new Date() });

    it("passes the subscribe-time check while public, then refuses the connection once the name points at 127.0.0.1", async () => {
      const resolve = rebinding("8.8.8.8", "127.0.0.1");
      const sender = new WebPushSender(vapid, "mailto:ops@example.test", { allowPrivateEndpoints: false, resolve });
      const path = `/push/${randomUUID()}`;
      expect(await sender.allows("push.rebind.test")).to.equal(true);
      const result = await sender.send(record(`http://push.rebind.test:${service.port}${path}`), "{}", { ttlSeconds: 60 });
      expect(result).to.deep.equal({ ok: false, gone: false, status: null, message: "push.rebind.test resolves to 127.0.0.1, not a public address" });
      expect(resolve.answers).to.deep.equal(["8.8.8.8", "127.0.0.1"]);
      expect(service.got(path)).to.equal(0);
    });

    it("delivers through the same resolver when private endpoints are allowed (so the refusal above is the check's)", async () => {
      const resolve = rebinding("127.0.0.1", "127.0.0.1");
      const sender = new WebPushSender(vapid, "mailto:ops@example.test", { allowPrivateEndpoints: true, resolve });
      const path = `/push/${randomUUID()}`;
      expect(await sender.send(record(`http://push.rebind.test:${service.port}${path}`), "{}", { ttlSeconds: 60 })).to.deep.equal({ ok: true });
      expect(service.got(path)).to.equal(1);
    });

    it("refuses loopback literals, which a connection dials without any lookup", async () => {
      const resolve = rebinding("8.8.8.8", "8.8.8.8");
      const sender = new WebPushSender(vapid, "mailto:ops@example.test", { allowPrivateEndpoints: false, resolve });
      for (const host of ["127.0.0.1", "[::ffff:7f00:1]"]) {
        const path = `/push/${randomUUID()}`;
        const result = await sender.send(record(`http://${host}:${service.port}${path}`), "{}", { ttlSeconds: 60 });
        expect(result, host).to.include({ ok: false, gone: false });
        expect(service.got(path)).to.equal(0);
      }
      expect(resolve.answers).to.deep.equal([]);
    });

    it("at subscribe time, refuses a name that does not exist and answers UNAVAILABLE when the resolver fails", async () => {
      const failing = (code: string): ResolveAll => async (hostname) => {
        throw Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code });
      };
      expect(await new WebPushSender(vapid, "mailto:ops@example.test", { allowPrivateEndpoints: false, resolve: failing("ENOTFOUND") }).allows("nowhere.test")).to.equal(false);
      const err = await new WebPushSender(vapid, "mailto:ops@example.test", { allowPrivateEndpoints: false, resolve: failing("EAI_AGAIN") }).allows("push.example.test").then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.include({ code: "UNAVAILABLE" });
    });

    it("follows no redirect: a 307 is a failed push, and its Location gets no request", async () => {
      const sender = new WebPushSender(vapid, "mailto:ops@example.test", { allowPrivateEndpoints: true });
      const [from, to] = [`/push/${randomUUID()}`, `/internal/${randomUUID()}`];
      service.redirects.set(from, `http://127.0.0.1:${service.port}${to}`);
      expect(await sender.send(record(`http://127.0.0.1:${service.port}${from}`), "{}", { ttlSeconds: 60 })).to.include({ ok: false, gone: false, status: 307 });
      expect(service.got(from)).to.equal(1);
      expect(service.got(to)).to.equal(0);
    });
  });
});
