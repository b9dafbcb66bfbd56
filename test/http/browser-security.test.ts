// What a browser is told (PROTOCOL, hardening): the page cannot be framed and runs under a CSP,
// API answers are not sniffed or cached, and only the node's own origin and CORS_ORIGINS are
// admitted cross-site, on the REST door and the socket door alike.
import { expect } from "chai";
import { io } from "socket.io-client";
import { Api, signUp } from "../helpers/api.js";
import { startTestNode, type TestNode } from "../helpers/nodes.js";

const ALLOWED = "https://chat.example.com";
const EVIL = "https://evil.example";

/** The Engine.IO polling handshake, as a browser's first request of a socket. */
const pollingHandshake = (node: TestNode, origin: string) =>
  fetch(`${node.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });

describe("browser-facing headers and origins", function () {
  this.timeout(30_000);
  let plain: TestNode;
  let withCors: TestNode;

  before(async () => {
    plain = await startTestNode();
    withCors = await startTestNode({ env: { CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` } });
  });
  after(async () => {
    await plain?.stop();
    await withCors?.stop();
  });

  it("serves the client page with a CSP and frame protection (npm test builds the client first)", async () => {
    const res = await fetch(`${plain.url}/`);
    expect(res.status, "the built client must be served at /").to.equal(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).to.include("frame-ancestors 'none'");
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include("object-src 'none'");
    expect(res.headers.get("x-frame-options")).to.equal("DENY");
    expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
  });

  it("marks API answers nosniff and no-store", async () => {
    const api = new Api(plain.url);
    const u = await signUp(api);
    for (const res of [await api.get("/api/me", u.accessToken), await api.get("/api/me"), await api.get("/api/nothing-here")]) {
      expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
      expect(res.headers.get("cache-control")).to.equal("no-store");
    }
  });

  it("without CORS_ORIGINS, reflects no origin on either door and refuses a foreign origin's socket", async () => {
    const api = await fetch(`${plain.url}/api/openapi.json`, { headers: { origin: EVIL } });
    expect(api.headers.get("access-control-allow-origin")).to.equal(null);
    const foreign = await pollingHandshake(plain, EVIL);
    expect(foreign.status).to.be.within(400, 499);
    expect(foreign.headers.get("access-control-allow-origin")).to.equal(null);
    // The page's own origin, as the served client connects.
    const own = await pollingHandshake(plain, plain.url);
    expect(own.status).to.equal(200);
  });

  it("refuses a foreign origin's WebSocket too (CORS does not cover WebSockets)", async () => {
    const u = await signUp(new Api(plain.url));
    const socket = io(plain.url, { auth: { token: u.accessToken }, transports: ["websocket"], reconnection: false, forceNew: true, extraHeaders: { origin: EVIL } });
    const outcome = await new Promise<string>((resolve) => {
      socket.once("connect", () => resolve("connected"));
      socket.once("connect_error", () => resolve("refused"));
    });
    socket.close();
    expect(outcome).to.equal("refused");
  });

  it("with CORS_ORIGINS, admits exactly those origins on both doors", async () => {
    const preflight = await fetch(`${withCors.url}/api/me`, {
      method: "OPTIONS",
      headers: { origin: ALLOWED, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(preflight.status).to.be.within(200, 204);
    expect(preflight.headers.get("access-control-allow-origin")).to.equal(ALLOWED);
    const evilApi = await fetch(`${withCors.url}/api/openapi.json`, { headers: { origin: EVIL } });
    expect(evilApi.headers.get("access-control-allow-origin")).to.equal(null);

    const allowedSocket = await pollingHandshake(withCors, ALLOWED);
    expect(allowedSocket.status).to.equal(200);
    expect(allowedSocket.headers.get("access-control-allow-origin")).to.equal(ALLOWED);
    const evilSocket = await pollingHandshake(withCors, EVIL);
    expect(evilSocket.status).to.be.within(400, 499);
    expect(evilSocket.headers.get("access-control-allow-origin")).to.equal(null);
  });
});
