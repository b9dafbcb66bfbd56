// Call signaling (PROTOCOL.md "Calls, push, search"): call:join / call:leave / call:signal and
// call:updated across two nodes sharing Redis and PostgreSQL (one node's sockets on WebSocket,
// the other's on polling), members only, bounded payloads, the mesh cap, a crashed node's
// participants expiring, the in-process registry of a single node, and GET /api/calls/ice-servers.
import { createHmac, randomUUID } from "node:crypto";
import { expect } from "chai";
import { Redis } from "ioredis";
import { pino } from "pino";
import { CALL_MAX_PARTICIPANTS, SIGNAL_DATA_MAX_BYTES } from "../../src/domain/calls.js";
import type { CallChange } from "../../src/domain/ports/call-registry.js";
import { LocalBus } from "../../src/store/cluster-bus.js";
import { RedisCallRegistry } from "../../src/store/redis-call-registry.js";
import { redisUrl } from "../helpers/services.js";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import { startTestNode, type TestNode } from "../helpers/nodes.js";
import { describeTopologies, useCluster, useNode } from "../helpers/suite.js";
import { groupWith } from "../helpers/rooms.js";
import { eventually } from "../helpers/eventually.js";
import { collect, connectSocket, emitAck, nextEvent, type ClientSocket } from "../helpers/sockets.js";

interface Signal {
  roomId: string;
  fromUserId: string;
  kind: string;
  data: unknown;
}
interface CallUpdate {
  roomId: string;
  participants: string[];
}

// Short expiry so a killed node's participants drop out within the test's patience.
const TTL_MS = 1_500;

describeTopologies("call signaling across two nodes", function (topology) {
  this.timeout(30_000);
  const { nodes: [a, b], apis: [api], ...sockets } = useCluster(2, { topology, env: { PRESENCE_TTL_MS: String(TTL_MS) } });
  const connect = (node: TestNode, user: TestUser, transports?: ("websocket" | "polling")[]) => sockets.connect(node, user, transports ?? (node === b ? ["polling"] : ["websocket"]));
  const updatesOf = (s: ClientSocket, roomId: string) => {
    const seen: CallUpdate[] = [];
    s.on("call:updated", (u) => u.roomId === roomId && seen.push(u));
    return seen;
  };
  const nextUpdate = (s: ClientSocket, roomId: string, participants: string[]) =>
    nextEvent<CallUpdate>(s, "call:updated", (u) => u.roomId === roomId && JSON.stringify(u.participants) === JSON.stringify(participants));

  it("relays offer, answer and candidates exactly once to each socket of the addressed peer, on whichever node", async () => {
    const [ann, bob, cat] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob"), signUp(api, "Cat")]);
    const roomId = await groupWith(api, ann, [bob, cat]);
    const annSock = await connect(a, ann);
    const bobOnB = await connect(b, bob);
    const bobOnA = await connect(a, bob); // Bob's second device, also in the call
    const bobIdle = await connect(b, bob); // Bob's third device, not in the call
    const catSock = await connect(b, cat); // a member watching the room, not in the call
    for (const s of [annSock, bobOnB, bobOnA, bobIdle, catSock]) expect((await emitAck(s, "room:join", { roomId })).ok).to.equal(true);
    const received = new Map([annSock, bobOnB, bobOnA, bobIdle, catSock].map((s) => [s, collect<Signal>(s, "call:signal")]));

    expect(await emitAck(annSock, "call:join", { roomId })).to.deep.equal({ ok: true, participants: [ann.id] });
    expect(await emitAck(bobOnB, "call:join", { roomId })).to.deep.equal({ ok: true, participants: [ann.id, bob.id] });
    expect(await emitAck(bobOnA, "call:join", { roomId })).to.deep.equal({ ok: true, participants: [ann.id, bob.id] });

    const offer = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };
    const candidates = [0, 1, 2].map((i) => ({ candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 5${i}000 typ host`, sdpMid: "0", sdpMLineIndex: 0 }));
    expect(await emitAck(annSock, "call:signal", { roomId, toUserId: bob.id, kind: "offer", data: offer })).to.deep.equal({ ok: true });
    for (const c of candidates) expect((await emitAck(annSock, "call:signal", { roomId, toUserId: bob.id, kind: "candidate", data: c })).ok).to.equal(true);
    expect((await emitAck(bobOnB, "call:signal", { roomId, toUserId: ann.id, kind: "answer", data: { type: "answer", sdp: "v=0 answer" } })).ok).to.equal(true);
    expect((await emitAck(bobOnB, "call:signal", { roomId, toUserId: ann.id, kind: "candidate", data: null })).ok).to.equal(true);

    // Barriers: a node publishes in order, so a room broadcast sent through the same node after
    // the signals reaches each socket after them (and after any duplicate of them).
    const typed = (s: ClientSocket, userId: string) => nextEvent(s, "typing", (t: { userId: string }) => t.userId === userId);
    const afterAnn = [bobOnB, bobOnA, bobIdle, catSock].map((s) => typed(s, ann.id));
    await emitAck(annSock, "typing", { roomId, isTyping: true }); // through node A, like Ann's signals
    const afterBob = typed(annSock, cat.id);
    await emitAck(catSock, "typing", { roomId, isTyping: true }); // through node B, like Bob's answer
    await Promise.all([...afterAnn, afterBob]);

    const fromAnn = [
      { roomId, fromUserId: ann.id, kind: "offer", data: offer },
      ...candidates.map((c) => ({ roomId, fromUserId: ann.id, kind: "candidate", data: c })),
    ];
    expect(received.get(bobOnB)).to.deep.equal(fromAnn);
    expect(received.get(bobOnA)).to.deep.equal(fromAnn);
    expect(received.get(annSock)).to.deep.equal([
      { roomId, fromUserId: bob.id, kind: "answer", data: { type: "answer", sdp: "v=0 answer" } },
      { roomId, fromUserId: bob.id, kind: "candidate", data: null },
    ]);
    expect(received.get(bobIdle), "a socket of the peer that is not in the call").to.deep.equal([]);
    expect(received.get(catSock), "a member not in the call").to.deep.equal([]);
  });

  it("tells the room's joined sockets who is in the call on every join, leave and disconnect", async () => {
    const [ann, bob, cat] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob"), signUp(api, "Cat")]);
    const roomId = await groupWith(api, ann, [bob, cat]);
    const watcher = await connect(b, cat);
    await emitAck(watcher, "room:join", { roomId });
    const seen = updatesOf(watcher, roomId);
    const annSock = await connect(a, ann);
    const bobSock = await connect(b, bob);

    const step = async (n: number, act: () => unknown) => {
      await act();
      await eventually(() => seen.length >= n, { within: 5_000, what: `call:updated #${n}` });
    };
    await step(1, () => emitAck(annSock, "call:join", { roomId }));
    await step(2, () => emitAck(bobSock, "call:join", { roomId }));
    // Joining again from the same socket changes nothing and announces nothing.
    expect(await emitAck(bobSock, "call:join", { roomId })).to.deep.equal({ ok: true, participants: [ann.id, bob.id] });
    await step(3, () => emitAck(annSock, "call:leave", { roomId }));
    await step(4, () => bobSock.close()); // a disconnect leaves every call of that socket
    expect(seen.map((u) => u.participants)).to.deep.equal([[ann.id], [ann.id, bob.id], [bob.id], []]);
  });

  it("a member who leaves the room, or is removed from it, leaves its call on whichever node their socket is", async () => {
    const [ann, bob, cat] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob"), signUp(api, "Cat")]);
    const roomId = await groupWith(api, ann, [bob, cat]);
    const annSock = await connect(a, ann);
    await emitAck(annSock, "room:join", { roomId });
    const seen = updatesOf(annSock, roomId);
    const bobSock = await connect(b, bob);
    const catSock = await connect(b, cat);
    for (const s of [annSock, bobSock, catSock]) expect((await emitAck(s, "call:join", { roomId })).ok).to.equal(true);
    await eventually(() => seen.length >= 3, { within: 5_000, what: "three joins" });

    // Removed by the owner through node A; bob's connection is on node B.
    expect((await api.delete(`/api/rooms/${roomId}/members/${bob.id}`, ann.accessToken)).status).to.equal(204);
    await eventually(() => seen.at(-1)?.participants.length === 2, { within: 5_000, what: "bob out of the call" });
    expect(seen.at(-1)!.participants).to.deep.equal([ann.id, cat.id]);
    // Leaving on their own does the same.
    expect((await api.post(`/api/rooms/${roomId}/leave`, undefined, cat.accessToken)).status).to.equal(204);
    await eventually(() => seen.at(-1)?.participants.length === 1, { within: 5_000, what: "cat out of the call" });
    // The shared registry lists the call the same way.
    const listed = await api.get(`/api/rooms/${roomId}/call`, ann.accessToken);
    expect(listed.body.participants).to.deep.equal([ann.id]);
    expect(bobSock.connected && catSock.connected, "their sockets stay up").to.equal(true);
  });

  it("lets only members join and signal, and only to participants", async () => {
    const [ann, bob, cat, eve] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob"), signUp(api, "Cat"), signUp(api, "Eve")]);
    const roomId = await groupWith(api, ann, [bob, cat]);
    const annSock = await connect(a, ann);
    const bobSock = await connect(b, bob);
    const catSock = await connect(a, cat);
    const eveSock = await connect(b, eve);
    const eveGot = collect<Signal>(eveSock, "call:signal");
    const annGot = collect<Signal>(annSock, "call:signal");
    await emitAck(annSock, "call:join", { roomId });
    await emitAck(bobSock, "call:join", { roomId });

    const refused = async (s: ClientSocket, event: string, payload: unknown) => (await emitAck(s, event, payload)).error?.code;
    expect(await refused(eveSock, "call:join", { roomId }), "non-member joins").to.equal("NOT_FOUND");
    expect(await refused(eveSock, "call:signal", { roomId, toUserId: ann.id, kind: "offer", data: { sdp: "x" } }), "non-member signals").to.equal("NOT_FOUND");
    expect(await refused(catSock, "call:signal", { roomId, toUserId: ann.id, kind: "offer", data: { sdp: "x" } }), "member outside the call").to.equal("FORBIDDEN");
    expect(await refused(annSock, "call:signal", { roomId, toUserId: cat.id, kind: "offer", data: { sdp: "x" } }), "to a member outside the call").to.equal("NOT_FOUND");
    expect(await refused(annSock, "call:signal", { roomId, toUserId: eve.id, kind: "offer", data: { sdp: "x" } }), "to a non-member").to.equal("NOT_FOUND");
    expect(await refused(annSock, "call:signal", { roomId, toUserId: ann.id, kind: "offer", data: {} }), "to oneself").to.equal("VALIDATION");
    expect(await refused(annSock, "call:join", { roomId: randomUUID() }), "unknown room").to.equal("NOT_FOUND");

    // Leaving the room does not leave the call by itself, but it ends the right to signal.
    expect((await api.post(`/api/rooms/${roomId}/leave`, undefined, bob.accessToken)).status).to.equal(204);
    expect(await refused(bobSock, "call:signal", { roomId, toUserId: ann.id, kind: "answer", data: { sdp: "x" } }), "former member").to.equal("NOT_FOUND");
    expect((await emitAck(bobSock, "call:leave", { roomId })).ok, "a former member can still hang up").to.equal(true);
    expect(eveGot).to.deep.equal([]);
    expect(annGot).to.deep.equal([]);
  });

  it("bounds signal payloads: data over 64 KB is PAYLOAD_TOO_LARGE, malformed payloads VALIDATION, and the socket stays up", async () => {
    const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
    const roomId = await groupWith(api, ann, [bob]);
    const annSock = await connect(a, ann);
    const bobSock = await connect(b, bob);
    const bobGot = collect<Signal>(bobSock, "call:signal");
    await emitAck(annSock, "call:join", { roomId });
    await emitAck(bobSock, "call:join", { roomId });

    // JSON of {"sdp":"xxx…"} is 10 bytes of framing plus the string.
    const atLimit = { sdp: "x".repeat(SIGNAL_DATA_MAX_BYTES - 10) };
    const overLimit = { sdp: "x".repeat(SIGNAL_DATA_MAX_BYTES - 9) };
    const tooBig = await emitAck(annSock, "call:signal", { roomId, toUserId: bob.id, kind: "offer", data: overLimit });
    expect(tooBig.error?.code).to.equal("PAYLOAD_TOO_LARGE");
    const huge = await emitAck(annSock, "call:signal", { roomId, toUserId: bob.id, kind: "offer", data: { sdp: "y".repeat(900_000) } });
    expect(huge.error?.code).to.equal("PAYLOAD_TOO_LARGE");
    for (const bad of [
      { roomId, toUserId: bob.id, kind: "bye", data: {} },
      { roomId, toUserId: bob.id, kind: "offer" },
      { roomId, toUserId: "not-an-id", kind: "offer", data: {} },
      { roomId: "nope", toUserId: bob.id, kind: "offer", data: {} },
      { roomId, toUserId: bob.id, kind: "offer", data: {}, extra: 1 },
      "just a string",
    ]) {
      expect((await emitAck(annSock, "call:signal", bad)).error?.code, JSON.stringify(bad).slice(0, 80)).to.equal("VALIDATION");
    }
    const delivered = nextEvent<Signal>(bobSock, "call:signal");
    expect((await emitAck(annSock, "call:signal", { roomId, toUserId: bob.id, kind: "offer", data: atLimit })).ok).to.equal(true);
    expect((await delivered).data).to.deep.equal(atLimit);
    expect(annSock.connected && bobSock.connected).to.equal(true);
    expect(bobGot).to.have.length(1);
  });

  it(`holds at most ${CALL_MAX_PARTICIPANTS} participants (a mesh), refusing the next with CONFLICT even when they join at once`, async () => {
    const users = await Promise.all([...Array(CALL_MAX_PARTICIPANTS + 2).keys()].map((i) => signUp(api, `U${i}`)));
    const roomId = await groupWith(api, users[0]!, users.slice(1));
    const socks = await Promise.all(users.map((u, i) => connect(i % 2 ? b : a, u)));
    const acks = await Promise.all(socks.map((s) => emitAck(s, "call:join", { roomId })));
    const joined = acks.filter((x) => x.ok);
    expect(joined).to.have.length(CALL_MAX_PARTICIPANTS);
    expect(acks.filter((x) => !x.ok).map((x) => x.error.code)).to.deep.equal(["CONFLICT", "CONFLICT"]);
    // A participant's second device is not a new participant.
    const inCall = users[acks.findIndex((x) => x.ok)]!;
    const again = await emitAck(await connect(b, inCall), "call:join", { roomId });
    expect(again.ok).to.equal(true);
    expect(again.participants).to.have.length(CALL_MAX_PARTICIPANTS);
  });

  it("drops a crashed node's participants once their entries expire, announced once by a surviving node", async function () {
    const doomed = await startTestNode({ redis: true, topology, env: { JWT_SECRET: "test-secret-shared-by-all-test-nodes-0123456789", PRESENCE_TTL_MS: String(TTL_MS) } });
    try {
      const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
      const roomId = await groupWith(api, ann, [bob]);
      const annSock = await connect(a, ann);
      const watcher = await connect(b, ann);
      for (const s of [annSock, watcher]) await emitAck(s, "room:join", { roomId });
      await emitAck(annSock, "call:join", { roomId });
      const bobSock = await connectSocket(doomed.url, bob.accessToken, { transports: ["websocket"] });
      const bobJoined = [annSock, watcher].map((s) => nextUpdate(s, roomId, [ann.id, bob.id]));
      expect((await emitAck(bobSock, "call:join", { roomId })).participants).to.deep.equal([ann.id, bob.id]);
      await Promise.all(bobJoined);
      const seenA = updatesOf(annSock, roomId);
      const seenB = updatesOf(watcher, roomId);

      const killedAt = Date.now();
      await doomed.kill();
      await eventually(() => seenA.length > 0 && seenB.length > 0, { within: TTL_MS + 8_000, what: "the expiry's call:updated on both sockets" });
      expect(Date.now() - killedAt, "within ttl + sweep (+ slack)").to.be.below(TTL_MS + 5_000);
      expect(seenA.map((u) => u.participants)).to.deep.equal([[ann.id]]);
      expect(seenB.map((u) => u.participants)).to.deep.equal([[ann.id]]);
      // Bob is gone from the registry too: a signal to him finds nobody.
      expect((await emitAck(annSock, "call:signal", { roomId, toUserId: bob.id, kind: "offer", data: {} })).error?.code).to.equal("NOT_FOUND");
    } finally {
      await doomed.stop();
    }
  });
});

describe("call signaling on a single node without Redis", function () {
  this.timeout(30_000);
  const { node } = useNode({ backend: "postgres" });

  it("joins, relays and announces in process", async () => {
    const api = new Api(node.url);
    const [ann, bob] = await Promise.all([signUp(api, "Ann"), signUp(api, "Bob")]);
    const roomId = await groupWith(api, ann, [bob]);
    const annSock = await connectSocket(node.url, ann.accessToken);
    const bobSock = await connectSocket(node.url, bob.accessToken, { transports: ["polling"] });
    try {
      await emitAck(annSock, "room:join", { roomId });
      await emitAck(annSock, "call:join", { roomId });
      const announced = nextEvent<CallUpdate>(annSock, "call:updated");
      expect((await emitAck(bobSock, "call:join", { roomId })).participants).to.deep.equal([ann.id, bob.id]);
      expect(await announced).to.deep.equal({ roomId, participants: [ann.id, bob.id] });
      const got = nextEvent<Signal>(bobSock, "call:signal");
      await emitAck(annSock, "call:signal", { roomId, toUserId: bob.id, kind: "offer", data: { type: "offer", sdp: "v=0" } });
      expect(await got).to.deep.equal({ roomId, fromUserId: ann.id, kind: "offer", data: { type: "offer", sdp: "v=0" } });
      const left = nextEvent<CallUpdate>(annSock, "call:updated");
      bobSock.close();
      expect(await left).to.deep.equal({ roomId, participants: [ann.id] });
    } finally {
      annSock.close();
      bobSock.close();
    }
  });
});

describe("GET /api/calls/ice-servers", function () {
  this.timeout(30_000);
  const secret = "coturn-static-auth-secret-for-tests";
  const { node } = useNode({
    env: { STUN_URLS: "stun:stun.example.test:3478", TURN_URLS: "turn:turn.example.test:3478?transport=udp, turns:turn.example.test:5349", TURN_SECRET: secret, TURN_TTL_SECONDS: "600" },
  });
  const { node: bare } = useNode();

  it("returns STUN and TURN from configuration, with a coturn REST credential for the caller that expires after ttlSeconds", async () => {
    const api = new Api(node.url);
    const ann = await signUp(api, "Ann");
    const before = Math.floor(Date.now() / 1000);
    const res = await api.get("/api/calls/ice-servers", ann.accessToken);
    expect(res.status).to.equal(200);
    expect(res.headers.get("cache-control")).to.equal("no-store");
    expect(res.body.ttlSeconds).to.equal(600);
    const [stun, turn] = res.body.iceServers;
    expect(stun).to.deep.equal({ urls: ["stun:stun.example.test:3478"] });
    expect(turn.urls).to.deep.equal(["turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"]);
    const [expiry, userId] = turn.username.split(":");
    expect(userId).to.equal(ann.id);
    expect(Number(expiry)).to.be.within(before + 600, Math.ceil(Date.now() / 1000) + 600);
    // What coturn computes with use-auth-secret / static-auth-secret.
    expect(turn.credential).to.equal(createHmac("sha1", secret).update(turn.username).digest("base64"));
    expect((await api.get("/api/calls/ice-servers")).status).to.equal(401);
  });

  it("returns an empty list when nothing is configured (host candidates only)", async () => {
    const api = new Api(bare.url);
    const ann = await signUp(api, "Ann");
    const res = await api.get("/api/calls/ice-servers", ann.accessToken);
    expect(res.status).to.equal(200);
    expect(res.body.iceServers).to.deep.equal([]);
  });
});

describe("RedisCallRegistry", function () {
  this.timeout(15_000);

  it("registers a live connection's call entry again when Redis lost it, and announces it", async () => {
    const silent = pino({ level: "silent" });
    const registry = new RedisCallRegistry(new Redis(redisUrl), { log: silent, ttlMs: 600, bus: new LocalBus() }); // heartbeat every 200 ms
    const admin = new Redis(redisUrl);
    try {
      const changes: CallChange[] = [];
      registry.onChange((c) => changes.push(c));
      const [roomId, userId] = [randomUUID(), randomUUID()];
      expect(await registry.join(roomId, userId, "socket-1", CALL_MAX_PARTICIPANTS)).to.deep.equal({ joined: true, participants: [userId], changed: true });
      // As after a Redis restart without persistence.
      await admin.del(`chat:call:room:${roomId}`);
      await admin.zrem("chat:call:expiry", `${roomId} ${userId} socket-1`);
      expect(await registry.entries(roomId)).to.deep.equal([]);
      await eventually(() => changes.length > 0, { within: 5_000, what: "the re-registration" });
      expect(changes).to.deep.equal([{ roomId, participants: [userId] }]);
      expect((await registry.entries(roomId)).map((e) => e.connectionId)).to.deep.equal(["socket-1"]);
      expect(await registry.leaveAll(userId, "socket-1")).to.deep.equal([{ roomId, participants: [] }]);
    } finally {
      await registry.close();
      await admin.quit();
    }
  });
});
