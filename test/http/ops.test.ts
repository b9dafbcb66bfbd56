// The operating contract: health, readiness, metrics, the OpenAPI document, and what the log holds.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import type { Router } from "express";
import { pino } from "pino";
import { routesOf } from "../../src/composition/features.js";
import { createApp } from "../../src/http/app.js";
import { createMetrics } from "../../src/metrics.js";
import { Api, signUp } from "../helpers/api.js";
import { startTestNode, type TestNode } from "../helpers/nodes.js";
import { BACKENDS, expectProblem, NODE_START_TIMEOUT_MS } from "./expect.js";

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };

/** Every (method, path) the node's features register under /api, read from Express's own routing table. */
function registeredApiRoutes(node: TestNode): string[] {
  const app = createApp({ log: pino({ level: "silent" }), metrics: createMetrics(), readiness: [], trustProxy: "loopback", auth: node.deps, routes: routesOf(node.features) });
  const routes: string[] = [];
  for (const layer of (app as unknown as { router: Router & { stack: Layer[] } }).router.stack) {
    for (const inner of layer.handle.stack ?? []) {
      if (!inner.route) continue;
      for (const method of Object.keys(inner.route.methods)) routes.push(`${method} /api${inner.route.path.replace(/:([A-Za-z]+)/g, "{$1}")}`);
    }
  }
  return routes;
}

describe("operations: /readyz with Redis", function () {
  let node: TestNode;
  before(async function () {
    this.timeout(NODE_START_TIMEOUT_MS);
    node = await startTestNode({ redis: true });
  });
  after(async () => node?.stop());

  it("names one Redis (mode single) and nothing unreachable while it answers", async () => {
    const res = await new Api(node.url).get("/readyz");
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: "ok", messageStore: "postgres", redis: { mode: "single", unreachable: [] } });
  });

  it("answers 503 naming the failing check and the unreachable Redis node as host:port", async () => {
    // The node's own Redis cannot be stopped under the other suites: the same app, with checks that fail.
    const down = () => Promise.reject(new Error("connect ECONNREFUSED"));
    const app = createApp({
      auth: node.deps,
      routes: [],
      log: pino({ level: "silent" }),
      metrics: createMetrics(),
      readiness: [
        { name: "database", check: async () => {} },
        { name: "redis", redisNode: "10.0.0.7:6379", check: down },
      ],
      readyReport: { messageStore: "mongo", redisMode: "single" },
      trustProxy: "loopback",
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const res = await new Api(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).get("/readyz");
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ status: "unavailable", failing: ["redis"], messageStore: "mongo", redis: { mode: "single", unreachable: ["10.0.0.7:6379"] } });
    } finally {
      server.close();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`operations (${backend})`, function () {
    let node: TestNode;
    let api: Api;
    const logLines: string[] = [];

    before(async function () {
      this.timeout(NODE_START_TIMEOUT_MS);
      node = await startTestNode({ backend, env: { LOG_LEVEL: "info" }, logStream: { write: (line: string) => void logLines.push(line) } });
      api = new Api(node.url);
    });
    after(async () => node?.stop());

    it("GET /healthz answers 200 { status: ok }", async () => {
      const res = await api.get("/healthz");
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: "ok" });
    });

    it("GET /readyz answers 200 when the database answers, naming the message store and Redis mode", async () => {
      const res = await api.get("/readyz");
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: "ok", messageStore: "postgres", redis: { mode: "none", unreachable: [] } });
    });

    it("GET /metrics is Prometheus text with request latency by route template and event-loop lag", async () => {
      const u = await signUp(api);
      await api.get(`/api/users/${u.id}`, u.accessToken);
      const res = await api.get("/metrics");
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.match(/^text\/plain/);
      const text = res.body as string;
      expect(text).to.include("# TYPE http_request_duration_seconds histogram");
      expect(text).to.match(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/users\/:id"/);
      expect(text, "raw ids must not become labels").to.not.include(u.id);
      expect(text).to.include("nodejs_eventloop_lag_seconds");
    });

    describe("OpenAPI", () => {
      let doc: { openapi: string; paths: Record<string, Record<string, { security?: unknown[] }>>; components: { securitySchemes: Record<string, object> } };
      before(async () => {
        const res = await api.get("/api/openapi.json");
        expect(res.status).to.equal(200);
        doc = res.body;
      });
      const documented = () => Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));

      it("is an OpenAPI 3.1 document naming the routes clients use", () => {
        expect(doc.openapi).to.match(/^3\.1\./);
        expect(documented()).to.include.members([
          "post /api/auth/signup",
          "post /api/auth/login",
          "post /api/auth/refresh",
          "post /api/auth/logout",
          "post /api/auth/email/verify-request",
          "post /api/auth/email/verify",
          "get /api/me",
          "patch /api/me",
          "put /api/me/avatar",
          "get /api/users",
          "get /api/users/{id}",
          "get /api/users/{id}/followers",
          "get /api/users/{id}/following",
          "post /api/friends/requests",
          "get /api/friends/requests",
          "post /api/friends/requests/{id}/accept",
          "post /api/friends/requests/{id}/decline",
          "get /api/friends",
          "delete /api/friends/{userId}",
          "put /api/follows/{userId}",
          "delete /api/follows/{userId}",
        ]);
        expect(doc.paths["/api/me"]!.get!.security, "protected routes take a user's or a bot's token").to.deep.equal([{ bearerAuth: [] }, { botAuth: [] }]);
        expect(doc.components.securitySchemes.botAuth).to.include({ type: "apiKey", in: "header", name: "Authorization" });
        expect(doc.paths["/api/auth/login"]!.post!.security).to.equal(undefined);
      });

      it("documents every route the routers register", () => {
        // The two documents describe the API; they are not routes of it.
        const registered = registeredApiRoutes(node).filter((r) => r !== "get /api/openapi.json" && r !== "get /api/asyncapi.json");
        expect(registered.length).to.be.greaterThan(20);
        expect(documented()).to.include.members(registered);
      });

      it("documents only routes the server answers", async () => {
        for (const route of documented()) {
          const [method, p] = route.split(" ") as [string, string];
          const res = await api.request(method.toUpperCase(), p.replace(/\{[^}]+\}/g, randomUUID()));
          const unrouted = res.status === 404 && /^no route/.test(res.body?.detail ?? "");
          expect(unrouted, `${route} is documented but not routed`).to.equal(false);
        }
      });
    });

    describe("log", () => {
      it("writes one JSON line per request with a request id, echoed as X-Request-Id", async () => {
        const mine = `test-${randomUUID()}`;
        const res = await api.request("GET", "/healthz", { headers: { "x-request-id": mine } });
        expect(res.headers.get("x-request-id")).to.equal(mine);
        const other = await api.get("/healthz");
        const generated = other.headers.get("x-request-id");
        expect(generated).to.be.a("string").that.is.not.empty;
        const records = logLines.flatMap((l) => l.split("\n").filter(Boolean)).map((l) => JSON.parse(l));
        for (const reqId of [mine, generated]) {
          const lines = records.filter((r) => r.reqId === reqId);
          expect(lines, `log lines for ${reqId}`).to.have.length(1);
          expect(lines[0]).to.include({ method: "GET", path: "/healthz", status: 200 });
        }
      });

      it("never contains a password, token or verification code", async () => {
        const start = logLines.length;
        const email = `log-${randomUUID()}@example.test`;
        const password = `Secret-${randomUUID()}`;
        const signup = await api.post("/api/auth/signup", { email, password, displayName: "Logged" });
        expect(signup.status).to.equal(201);
        const login = await api.post("/api/auth/login", { email, password });
        const wrong = `${password}-wrong`;
        await api.post("/api/auth/login", { email, password: wrong });
        await api.post("/api/auth/signup", { email, password: "short", displayName: "" });
        await api.request("POST", "/api/auth/login", { raw: `{"email":"${email}","password":"${password}"`, headers: { "content-type": "application/json" } });
        const refreshed = await api.post("/api/auth/refresh", { refreshToken: login.body.refreshToken });
        await api.post("/api/auth/refresh", { refreshToken: login.body.refreshToken }); // reuse: revokes
        await api.request("GET", `/api/me?access_token=${signup.body.accessToken}`, { token: signup.body.accessToken });
        await api.post("/api/auth/email/verify-request", undefined, signup.body.accessToken);
        const code = /\b(\d{6})\b/.exec(node.mail.lastTo(email)!.text)![1]!;
        await api.post("/api/auth/email/verify", { code: code === "000000" ? "000001" : "000000" }, signup.body.accessToken);
        await api.post("/api/auth/email/verify", { code }, signup.body.accessToken);
        await api.post("/api/auth/logout", { refreshToken: signup.body.refreshToken });

        const text = logLines.slice(start).join("");
        expect(text, "the requests were logged at info").to.include('"path":"/api/auth/login"');
        const secrets: Record<string, string> = {
          password,
          wrong,
          code,
          signupAccess: signup.body.accessToken,
          signupRefresh: signup.body.refreshToken,
          loginAccess: login.body.accessToken,
          loginRefresh: login.body.refreshToken,
          refreshedAccess: refreshed.body.accessToken,
          refreshedRefresh: refreshed.body.refreshToken,
        };
        for (const [name, secret] of Object.entries(secrets)) {
          expect(secret, name).to.be.a("string").with.length.greaterThan(5);
          expect(text.includes(secret), `the log contains ${name}`).to.equal(false);
          // Neither half of a refresh token, nor a JWT's signature, may leak on its own.
          for (const part of secret.split(".").filter((p) => p.length >= 20)) expect(text.includes(part), `the log contains part of ${name}`).to.equal(false);
        }
        expect(text).to.not.match(/"authorization"/i);
      });
    });
  });
}
