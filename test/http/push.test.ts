// Web Push (PROTOCOL.md "Calls, push, search"): subscriptions, and pushes to members with no
// connected socket. A local HTTP server stands in for the push service: each request it gets is
// checked the way a push service and the browser would (VAPID JWT signed with the server's key,
// RFC 8291 aes128gcm payload decrypted with the subscription's private key).
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, randomUUID, verify, type ECDH } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import webpush from "web-push";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import { startTestCluster, startTestNode, type TestNode } from "../helpers/nodes.js";
import { groupWith } from "../helpers/rooms.js";
import { eventually } from "../helpers/eventually.js";
import { connectSocket, emitAck, nextEvent, type ClientSocket } from "../helpers/sockets.js";

// Long enough that a burst sent over HTTP from two nodes falls into one window on 2 busy cores.
const WINDOW_MS = 1_000;

interface PushRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The push service stand-in: records every request; answers 201 unless told otherwise per path. */
class FakePushService {
  readonly requests: PushRequest[] = [];
  readonly statusFor = new Map<string, number>();
  private server!: http.Server;
  url = "";

  async start() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.requests.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(this.statusFor.get(req.url ?? "") ?? 201).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(path: string) {
    return this.requests.filter((r) => r.path === path);
  }

  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A browser's side of a subscription: its P-256 key pair and auth secret. */
interface Device {
  path: string;
  endpoint: string;
  ecdh: ECDH;
  auth: Buffer;
  id?: string;
}

function device(service: FakePushService): Device {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const path = `/push/${randomUUID()}`;
  return { path, endpoint: `${service.url}${path}`, ecdh, auth: randomBytes(16) };
}

async function subscribe(api: Api, user: TestUser, d: Device) {
  const res = await api.post("/api/push/subscriptions", { endpoint: d.endpoint, keys: { p256dh: d.ecdh.getPublicKey().toString("base64url"), auth: d.auth.toString("base64url") }, expirationTime: null }, user.accessToken);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  d.id = res.body.subscription.id;
  return res;
}

/** RFC 8292: `vapid t=<ES256 JWT>, k=<public key>`, signed by the server's VAPID key, for this push service. */
function checkVapid(req: PushRequest, serverKey: string, origin: string) {
  const m = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(String(req.headers.authorization));
  expect(m, `Authorization: ${req.headers.authorization}`).to.not.equal(null);
  const [, jwt, k] = m!;
  expect(k).to.equal(serverKey);
  const [h, p, sig] = jwt!.split(".") as [string, string, string];
  expect(JSON.parse(Buffer.from(h, "base64url").toString())).to.deep.equal({ typ: "JWT", alg: "ES256" });
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  expect(claims.aud).to.equal(origin);
  expect(claims.sub).to.match(/^(mailto:|https:)/);
  const now = Date.now() / 1000;
  expect(claims.exp).to.be.within(now, now + 86_400);
  const point = Buffer.from(serverKey, "base64url");
  const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") }, format: "jwk" });
  expect(verify("sha256", Buffer.from(`${h}.${p}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(sig, "base64url")), "JWT signature").to.equal(true);
}

/** RFC 8291/8188 aes128gcm, as the browser decrypts it with the subscription's private key. */
function decrypt(req: PushRequest, d: Device): any {
  expect(req.headers["content-encoding"]).to.equal("aes128gcm");
  const body = req.body;
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const serverPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const shared = d.ecdh.computeSecret(serverPublic);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), d.ecdh.getPublicKey(), serverPublic]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, d.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = plain.length - 1;
  while (end >= 0 && plain[end] === 0) end--;
  expect(plain[end], "last record's padding delimiter").to.equal(2);
  return JSON.parse(plain.subarray(0, end).toString("utf8"));
}

const send = (api: Api, user: TestUser, roomId: string, text: string) => api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text }, user.accessToken);

describe("web push to offline members (two nodes, a stand-in push service)", function () {
  this.timeout(60_000);
  const vapid = webpush.generateVAPIDKeys();
  const service = new FakePushService();
  let nodes: TestNode[];
  let apiA: Api;
  let apiB: Api;
  const sockets: ClientSocket[] = [];

  before(async () => {
    await service.start();
    nodes = await startTestCluster(2, {
      env: { PUSH_ALLOW_HTTP: "true", PUSH_ALLOW_PRIVATE: "true", PUSH_COALESCE_MS: String(WINDOW_MS), VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: "mailto:ops@example.test" },
    });
    apiA = new Api(nodes[0]!.url);
    apiB = new Api(nodes[1]!.url);
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    await service.stop();
  });

  it("sends one encrypted, VAPID-signed push to each device of an offline member, none to the sender", async () => {
    const [ann, bob] = await Promise.all([signUp(apiA, "Ann"), signUp(apiA, "Bob")]);
    const roomId = await groupWith(apiA, ann, [bob], "Hikers");
    const [phone, laptop, annDevice] = [device(service), device(service), device(service)];
    await subscribe(apiA, bob, phone);
    await subscribe(apiB, bob, laptop);
    await subscribe(apiA, ann, annDevice);

    expect((await send(apiA, ann, roomId, "see you at the trailhead")).status).to.equal(201);
    await eventually(() => service.to(phone.path).length > 0 && service.to(laptop.path).length > 0, { within: 10_000, what: "a push on both devices" });
    for (const d of [phone, laptop]) {
      const [req] = service.to(d.path);
      checkVapid(req!, vapid.publicKey, service.url);
      expect(Number(req!.headers.ttl)).to.be.greaterThan(0);
      expect(req!.headers.topic).to.equal(roomId.replace(/-/g, ""));
      expect(decrypt(req!, d)).to.deep.equal({ type: "message", roomId, seq: 1, count: 1, title: "Hikers", body: "Ann: see you at the trailhead", url: `/#/room/${roomId}` });
    }

    // Bob answers: Ann's first push is about his message, so none came for her own.
    await send(apiB, bob, roomId, "on my way");
    await eventually(() => service.to(annDevice.path).length > 0, { within: 10_000, what: "Ann's push" });
    expect(decrypt(service.to(annDevice.path)[0]!, annDevice)).to.include({ count: 1, body: "Bob: on my way", seq: 2 });
    expect(service.to(phone.path)).to.have.length(1);
    expect(service.to(laptop.path)).to.have.length(1);
  });

  it("coalesces a burst in one room, sent through both nodes, into one push per device saying how many", async () => {
    const [ann, bob, cat] = await Promise.all([signUp(apiA, "Ann"), signUp(apiA, "Bob"), signUp(apiA, "Cat")]);
    const roomId = await groupWith(apiA, ann, [bob, cat], "Burst");
    const phone = device(service);
    await subscribe(apiA, bob, phone);

    const sent = await Promise.all([
      ...[1, 2, 3].map((i) => send(apiA, ann, roomId, `ann ${i}`)),
      ...[1, 2].map((i) => send(apiB, cat, roomId, `cat ${i}`)),
    ]);
    const newest = sent.map((r) => r.body.message).reduce((x, y) => (y.seq > x.seq ? y : x));
    await eventually(() => service.to(phone.path).length > 0, { within: 10_000, what: "the burst's push" });
    const first = decrypt(service.to(phone.path)[0]!, phone);
    expect(first).to.include({ count: 5, seq: 5, title: "Burst" });
    expect(first.body).to.equal(`${newest.senderId === ann.id ? "Ann" : "Cat"}: ${newest.text} (+4 more)`);

    // The window closed: the next message is a push of its own, and nothing else came between.
    await send(apiB, cat, roomId, "anyone?");
    await eventually(() => service.to(phone.path).length > 1, { within: 10_000, what: "the next push" });
    expect(service.to(phone.path).map((r) => decrypt(r, phone).count)).to.deep.equal([5, 1]);
  });

  it("pushes nothing while the member has a connected socket on any node, nor for a room they muted", async () => {
    const [ann, bob] = await Promise.all([signUp(apiA, "Ann"), signUp(apiA, "Bob")]);
    const roomId = await groupWith(apiA, ann, [bob], "Main");
    const muted = await groupWith(apiA, ann, [bob], "Noisy");
    const phone = device(service);
    await subscribe(apiA, bob, phone);
    expect((await apiB.put(`/api/rooms/${muted}/mute`, { muted: true }, bob.accessToken)).body).to.deep.equal({ muted: true });

    const watcher = await connectSocket(nodes[0]!.url, ann.accessToken);
    sockets.push(watcher);
    const online = nextEvent(watcher, "presence:updated", (p: { userId: string; status: string }) => p.userId === bob.id && p.status === "online");
    const bobSock = await connectSocket(nodes[1]!.url, bob.accessToken, { transports: ["polling"] });
    sockets.push(bobSock);
    await online;
    await send(apiA, ann, roomId, "while you are here");

    const offline = nextEvent(watcher, "presence:updated", (p: { userId: string; status: string }) => p.userId === bob.id && p.status === "offline");
    bobSock.close();
    await offline;
    await send(apiA, ann, muted, "muted chatter");
    await send(apiA, ann, roomId, "after you left");
    await eventually(() => service.to(phone.path).length > 0, { within: 10_000, what: "the push for the message after leaving" });

    // Unmuted, the other room pushes again: had its message been pending, this would count 2.
    await apiB.put(`/api/rooms/${muted}/mute`, { muted: false }, bob.accessToken);
    await send(apiA, ann, muted, "unmuted now");
    await eventually(() => service.to(phone.path).length > 1, { within: 10_000, what: "the unmuted room's push" });
    expect(service.to(phone.path).map((r) => decrypt(r, phone))).to.deep.include.members([
      { type: "message", roomId, seq: 2, count: 1, title: "Main", body: "Ann: after you left", url: `/#/room/${roomId}` },
      { type: "message", roomId: muted, seq: 2, count: 1, title: "Noisy", body: "Ann: unmuted now", url: `/#/room/${muted}` },
    ]);
    expect(service.to(phone.path)).to.have.length(2);
  });

  it("a mention pushes even in a room the member muted; a sender the member blocked pushes nothing", async () => {
    const [ann, bob, cat] = await Promise.all([signUp(apiA, "Ann"), signUp(apiA, "Bob"), signUp(apiA, "Cat")]);
    const roomId = await groupWith(apiA, ann, [bob, cat], "Muted");
    const phone = device(service);
    await subscribe(apiA, bob, phone);
    await apiB.put(`/api/rooms/${roomId}/mute`, { muted: true }, bob.accessToken);
    expect((await apiA.put(`/api/blocks/${cat.id}`, undefined, bob.accessToken)).status).to.equal(204);

    const mention = (user: TestUser, text: string, extra: object) =>
      apiA.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text, ...extra }, user.accessToken);
    expect((await send(apiA, ann, roomId, "chatter")).status).to.equal(201);
    expect((await mention(cat, "@Bob from the blocked one", { mentions: [bob.id] })).status).to.equal(201);
    expect((await mention(cat, "@room from the blocked one", { mentionsRoom: true })).status).to.equal(201);
    expect((await mention(ann, "@Bob look", { mentions: [bob.id] })).status).to.equal(201);
    await eventually(() => service.to(phone.path).length > 0, { within: 10_000, what: "the mention's push" });
    // Had the muted chatter or the blocked sender's mentions counted, this push would say so.
    expect(service.to(phone.path).map((r) => decrypt(r, phone))).to.deep.equal([
      { type: "message", roomId, seq: 4, count: 1, title: "Muted", body: "Ann: @Bob look", url: `/#/room/${roomId}` },
    ]);
  });

  it("deletes a subscription the push service calls gone (410 or 404) and keeps one that failed otherwise", async () => {
    const [ann, bob] = await Promise.all([signUp(apiA, "Ann"), signUp(apiA, "Bob")]);
    const roomId = await groupWith(apiA, ann, [bob]);
    const [gone, missing, broken, fine] = [device(service), device(service), device(service), device(service)];
    service.statusFor.set(gone.path, 410);
    service.statusFor.set(missing.path, 404);
    service.statusFor.set(broken.path, 500);
    for (const d of [gone, missing, broken, fine]) await subscribe(apiA, bob, d);
    const listed = async () => ((await apiB.get("/api/push/subscriptions", bob.accessToken)).body.subscriptions as { id: string }[]).map((s) => s.id).sort();
    expect(await listed()).to.deep.equal([gone.id, missing.id, broken.id, fine.id].sort());

    await send(apiA, ann, roomId, "hello?");
    await eventually(() => [gone, missing, broken, fine].every((d) => service.to(d.path).length === 1), { within: 10_000, what: "one push per device" });
    // The push service's answers are handled after the requests: the deletions follow.
    await eventually(async () => expect(await listed()).to.deep.equal([broken.id, fine.id].sort()), { what: "the gone subscriptions deleted" });
  });

  it("registers, lists, replaces and deletes subscriptions with the documented shapes and codes", async () => {
    const [ann, bob] = await Promise.all([signUp(apiA, "Ann"), signUp(apiA, "Bob")]);
    const key = await apiA.get("/api/push/vapid-public-key");
    expect(key.status).to.equal(200);
    expect(key.body).to.deep.equal({ key: vapid.publicKey });
    expect(Buffer.from(key.body.key, "base64url")).to.have.length(65);

    const d = device(service);
    const created = await subscribe(apiA, ann, d);
    expect(created.body.subscription).to.have.keys("id", "endpoint", "createdAt");
    expect(created.body.subscription.endpoint).to.equal(d.endpoint);
    // The same browser signs in as Bob: the endpoint is his now, and Ann's list no longer has it.
    const moved = await subscribe(apiB, bob, d);
    expect(moved.body.subscription.id).to.equal(created.body.subscription.id);
    expect((await apiA.get("/api/push/subscriptions", ann.accessToken)).body.subscriptions).to.deep.equal([]);
    expect((await apiA.get("/api/push/subscriptions", bob.accessToken)).body.subscriptions).to.have.length(1);

    expect((await apiA.delete(`/api/push/subscriptions/${d.id}`, ann.accessToken)).status, "someone else's").to.equal(404);
    expect((await apiA.delete(`/api/push/subscriptions/${d.id}`, bob.accessToken)).status).to.equal(204);
    expect((await apiA.delete(`/api/push/subscriptions/${d.id}`, bob.accessToken)).status).to.equal(404);

    const keys = { p256dh: d.ecdh.getPublicKey().toString("base64url"), auth: d.auth.toString("base64url") };
    for (const [body, path] of [
      [{ endpoint: "not a url", keys }, "endpoint"],
      [{ endpoint: "ftp://push.example.test/x", keys }, "endpoint"],
      [{ endpoint: "https://user:pw@push.example.test/x", keys }, "endpoint"],
      [{ endpoint: d.endpoint, keys: { ...keys, p256dh: randomBytes(33).toString("base64url") } }, "keys.p256dh"],
      [{ endpoint: d.endpoint, keys: { ...keys, auth: randomBytes(8).toString("base64url") } }, "keys.auth"],
      [{ endpoint: d.endpoint }, "keys"],
    ] as const) {
      const res = await apiA.post("/api/push/subscriptions", body, ann.accessToken);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.code).to.equal("VALIDATION");
      expect(res.body.errors.map((e: { path: string }) => e.path).join(","), JSON.stringify(body)).to.contain(path);
    }
    expect((await apiA.post("/api/push/subscriptions", { endpoint: d.endpoint, keys })).status).to.equal(401);
  });
});

describe("web push on a single embedded node (PGlite, no Redis)", function () {
  this.timeout(60_000);
  const service = new FakePushService();
  let node: TestNode;
  let restarted: TestNode | undefined;
  let dataDir = "";

  before(async () => {
    await service.start();
    // Our own DATA_DIR: a node removes only the directories it made, and this one outlives a restart.
    dataDir = await mkdtemp(path.join(tmpdir(), "chat-push-"));
    node = await startTestNode({ backend: "embedded", dataDir, env: { PUSH_ALLOW_HTTP: "true", PUSH_ALLOW_PRIVATE: "true", PUSH_COALESCE_MS: String(WINDOW_MS) } });
  });
  after(async () => {
    await node?.stop();
    await restarted?.stop();
    await service.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("pushes with a VAPID key generated once into DATA_DIR, coalesced in process", async () => {
    const api = new Api(node.url);
    const { key } = (await api.get("/api/push/vapid-public-key")).body;
    const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
    const room = await api.post("/api/rooms", { type: "direct", userId: bob.id }, ann.accessToken);
    const roomId = room.body.room.id;
    const phone = device(service);
    await subscribe(api, bob, phone);
    await Promise.all([send(api, ann, roomId, "one"), send(api, ann, roomId, "two")]);
    await eventually(() => service.to(phone.path).length > 0, { within: 10_000, what: "the push" });
    const [req] = service.to(phone.path);
    checkVapid(req!, key, service.url);
    const payload = decrypt(req!, phone);
    // A direct room is titled with the sender's name; the body is the newest message.
    expect(payload).to.include({ type: "message", roomId, count: 2, seq: 2, title: "Ann" });
    expect(payload.body).to.match(/^(one|two) \(\+1 more\)$/);
  });

  it("refuses http:// endpoints unless PUSH_ALLOW_HTTP is set, and keeps the generated key across restarts", async () => {
    const { key } = (await new Api(node.url).get("/api/push/vapid-public-key")).body;
    await node.stop().catch(() => {});
    // Private endpoints allowed, so the stand-in's http:// is the one thing refused.
    restarted = await startTestNode({ backend: "embedded", dataDir, env: { PUSH_ALLOW_PRIVATE: "true" } });
    const api = new Api(restarted.url);
    expect((await api.get("/api/push/vapid-public-key")).body.key).to.equal(key);
    const ann = await signUp(api, "Ann");
    const d = device(service);
    const res = await api.post("/api/push/subscriptions", { endpoint: d.endpoint, keys: { p256dh: d.ecdh.getPublicKey().toString("base64url"), auth: d.auth.toString("base64url") } }, ann.accessToken);
    expect(res.status).to.equal(400);
    expect(res.body.errors[0].path).to.equal("endpoint");
    expect(res.body.errors[0].message).to.contain("https");
  });
});
