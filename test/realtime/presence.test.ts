// Presence (PROTOCOL.md: `presence:updated`, GET /api/friends, GET /api/rooms/:id, room:join's
// `online`; ARCHITECTURE.md "Presence"): online / away / offline across two nodes sharing Redis
// and PostgreSQL, several devices per user, and a crashed node's users expiring.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { Redis, type Cluster } from "ioredis";
import { pino } from "pino";
import { loadConfig } from "../../src/config.js";
import type { PresenceChange, PresenceTracker } from "../../src/domain/ports/presence-tracker.js";
import { MemoryPresenceTracker } from "../../src/store/memory-presence.js";
import { RedisPresenceTracker } from "../../src/store/redis-presence.js";
import { PresenceKeys } from "../../src/store/redis-presence-scripts.js";
import { Api, signUp, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { startTestNode } from "../helpers/nodes.js";
import { redisUrl } from "../helpers/services.js";
import { collect, emitAck, nextEvent, type ClientSocket } from "../helpers/sockets.js";
import { testRedisClient } from "../helpers/redis-cluster.js";
import { describeTopologies, useCluster } from "../helpers/suite.js";

const NODE_START_TIMEOUT_MS = 30_000;
// Short expiry so a killed node's users go offline within the test's patience; it also makes
// every other case run across many heartbeats (heartbeat 500 ms, sweep 375 ms).
const TTL_MS = 1_500;
const PRESENCE_ENV = { PRESENCE_TTL_MS: String(TTL_MS) };
// Nodes of one deployment share the token secret (otherwise each derives its own under DATA_DIR).
const NODE_ENV = { ...PRESENCE_ENV, JWT_SECRET: `presence-test-secret-${randomUUID()}` };

interface PresenceEvent {
  userId: string;
  status: "online" | "away" | "offline";
  lastSeenAt: string | null;
}

const silent = pino({ level: "silent" });

const isIso = (v: unknown) => typeof v === "string" && new Date(v).toISOString() === v;

describeTopologies("presence across two nodes (postgres, redis)", function (topology) {
  const { nodes: [nodeA, nodeB], apis: [apiA, apiB], connect } = useCluster(2, { backend: "postgres", env: NODE_ENV, topology }, { startTimeoutMs: NODE_START_TIMEOUT_MS });
  let redis: Redis | Cluster;

  before(async () => {
    redis = await testRedisClient(topology);
  });
  after(() => {
    redis?.disconnect();
  });

  const users = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => signUp(apiA, `Presence ${i}`))) as Promise<[TestUser, TestUser, ...TestUser[]]>;
  const befriend = async (a: TestUser, b: TestUser) => {
    const req = await apiA.post("/api/friends/requests", { userId: b.id }, a.accessToken);
    expect(req.status).to.equal(201);
    expect((await apiB.post(`/api/friends/requests/${req.body.request.id}/accept`, undefined, b.accessToken)).status).to.equal(200);
  };
  const presenceOf = (observer: ClientSocket, userId: string, status: PresenceEvent["status"], timeoutMs?: number) =>
    nextEvent<PresenceEvent>(observer, "presence:updated", (p) => p.userId === userId && p.status === status, timeoutMs);
  const eventsAbout = (observer: ClientSocket, userId: string) => {
    const all = collect<PresenceEvent>(observer, "presence:updated");
    return () => all.filter((p) => p.userId === userId).map((p) => p.status);
  };
  const friendPresence = async (api: Api, viewer: TestUser, friendId: string) => {
    const res = await api.get("/api/friends", viewer.accessToken);
    expect(res.status).to.equal(200);
    const entry = (res.body.friends as { user: { id: string }; presence: { status: string; lastSeenAt: string | null } }[]).find((f) => f.user.id === friendId);
    expect(entry, "friend listed").to.exist;
    return entry!.presence;
  };
  /** Sockets registered for the user in Redis (a sync point for disconnects, which announce nothing). */
  const registeredSockets = (userId: string) => redis.hlen(new PresenceKeys(topology).userKey(userId));

  it("tells a friend on node A when the user comes online on node B, and GET /api/friends agrees on both nodes", async () => {
    const [user, friend] = await users(2);
    await befriend(user, friend);
    const watcher = await connect(nodeA, friend);
    expect(await friendPresence(apiA, friend, user.id)).to.deep.equal({ status: "offline", lastSeenAt: null });

    const online = presenceOf(watcher, user.id, "online");
    const before = Date.now();
    await connect(nodeB, user);
    const event = await online;
    expect(event).to.have.all.keys("userId", "status", "lastSeenAt");
    // While online, lastSeenAt is the time the user came online.
    expect(isIso(event.lastSeenAt)).to.equal(true);
    expect(Date.parse(event.lastSeenAt!)).to.be.within(before - 5, Date.now());
    for (const api of [apiA, apiB]) expect(await friendPresence(api, friend, user.id)).to.deep.equal({ status: "online", lastSeenAt: event.lastSeenAt });
    // The user's own sockets are not told about themselves; the friend is visible to the user too.
    expect(await friendPresence(apiB, user, friend.id)).to.include({ status: "online" });
  });

  it("counts devices across nodes: one 'online' for two devices, online until the last closes, then one 'offline' with lastSeenAt", async function () {
    this.timeout(15_000);
    const [user, friend] = await users(2);
    await befriend(user, friend);
    const watcher = await connect(nodeA, friend);
    const seen = eventsAbout(watcher, user.id);

    const online = presenceOf(watcher, user.id, "online");
    const phone = await connect(nodeB, user);
    const came = await online;
    const laptop = await connect(nodeA, user);
    // The ack proves node A registered the laptop (its calls about a socket run in order).
    expect(await emitAck(laptop, "presence:set", { status: "online" })).to.deep.equal({ ok: true, status: "online" });
    await eventually(async () => (await registeredSockets(user.id)) === 2, { what: "two registered sockets" });

    phone.close();
    await eventually(async () => (await registeredSockets(user.id)) === 1, { what: "phone unregistered" });
    for (const api of [apiA, apiB]) expect(await friendPresence(api, friend, user.id)).to.deep.equal({ status: "online", lastSeenAt: came.lastSeenAt });

    const offline = presenceOf(watcher, user.id, "offline");
    const closedAt = Date.now();
    laptop.close();
    const gone = await offline;
    expect(isIso(gone.lastSeenAt)).to.equal(true);
    expect(Date.parse(gone.lastSeenAt!)).to.be.within(closedAt - 5, Date.now());
    expect(seen()).to.deep.equal(["online", "offline"]);
    for (const api of [apiA, apiB]) expect(await friendPresence(api, friend, user.id)).to.deep.equal({ status: "offline", lastSeenAt: gone.lastSeenAt });
  });

  it("tells room peers (a direct room, not friends); GET /api/rooms/:id and room:join show presence", async () => {
    const [user, peer] = await users(2);
    const created = await apiB.post("/api/rooms", { type: "direct", userId: user.id }, peer.accessToken);
    expect(created.status).to.equal(201);
    const roomId: string = created.body.room.id;
    const watcher = await connect(nodeA, peer);

    const joinOnline = async () => {
      const ack = await emitAck(watcher, "room:join", { roomId });
      expect(ack.ok, JSON.stringify(ack)).to.equal(true);
      return Object.fromEntries((ack.members as { userId: string; online: boolean }[]).map((m) => [m.userId, m.online]));
    };
    const memberPresence = async (api: Api) => {
      const res = await api.get(`/api/rooms/${roomId}`, peer.accessToken);
      expect(res.status).to.equal(200);
      return Object.fromEntries((res.body.members as { user: { id: string }; presence: { status: string; lastSeenAt: string | null } }[]).map((m) => [m.user.id, m.presence]));
    };

    expect(await joinOnline()).to.deep.equal({ [user.id]: false, [peer.id]: true });
    expect((await memberPresence(apiB))[user.id]).to.deep.equal({ status: "offline", lastSeenAt: null });

    const online = presenceOf(watcher, user.id, "online");
    const device = await connect(nodeB, user);
    const event = await online;
    expect(await joinOnline()).to.deep.equal({ [user.id]: true, [peer.id]: true });
    for (const api of [apiA, apiB]) expect((await memberPresence(api))[user.id]).to.deep.equal({ status: "online", lastSeenAt: event.lastSeenAt });

    const offline = presenceOf(watcher, user.id, "offline");
    device.close();
    const gone = await offline;
    expect(await joinOnline()).to.deep.equal({ [user.id]: false, [peer.id]: true });
    expect((await memberPresence(apiA))[user.id]).to.deep.equal({ status: "offline", lastSeenAt: gone.lastSeenAt });
  });

  it("is away while every device says away (presence:set), online again when one comes back or connects", async function () {
    this.timeout(15_000);
    const [user, friend] = await users(2);
    await befriend(user, friend);
    const watcher = await connect(nodeA, friend);
    const seen = eventsAbout(watcher, user.id);

    let next = presenceOf(watcher, user.id, "online");
    const phone = await connect(nodeB, user);
    const came = await next;

    next = presenceOf(watcher, user.id, "away");
    expect(await emitAck(phone, "presence:set", { status: "away" })).to.deep.equal({ ok: true, status: "away" });
    const away = await next;
    expect(away.lastSeenAt, "lastSeenAt stays the time the user came online").to.equal(came.lastSeenAt);
    expect(await friendPresence(apiA, friend, user.id)).to.include({ status: "away" });
    // Away users count as online in room:join (online = connected).
    const roomId = (await apiA.post("/api/rooms", { type: "direct", userId: user.id }, friend.accessToken)).body.room.id;
    const joined = await emitAck(watcher, "room:join", { roomId });
    expect(joined.members.find((m: { userId: string }) => m.userId === user.id)).to.include({ online: true });

    // A new device starts online, so the user is online again…
    next = presenceOf(watcher, user.id, "online");
    const laptop = await connect(nodeA, user);
    await next;
    // …until it too says away; the phone is still away.
    next = presenceOf(watcher, user.id, "away");
    expect(await emitAck(laptop, "presence:set", { status: "away" })).to.deep.equal({ ok: true, status: "away" });
    await next;
    next = presenceOf(watcher, user.id, "online");
    expect(await emitAck(phone, "presence:set", { status: "online" })).to.deep.equal({ ok: true, status: "online" });
    await next;

    expect(await emitAck(phone, "presence:set", { status: "busy" })).to.deep.include({ ok: false });
    expect(await friendPresence(apiB, friend, user.id)).to.include({ status: "online" });

    next = presenceOf(watcher, user.id, "offline");
    phone.close();
    laptop.close();
    await next;
    expect(seen()).to.deep.equal(["online", "away", "online", "away", "online", "offline"]);
  });

  it("reports a gracefully stopped node's users offline at once, not at expiry", async function () {
    this.timeout(NODE_START_TIMEOUT_MS);
    const leaving = await startTestNode({ backend: "postgres", redis: true, topology, env: NODE_ENV });
    try {
      const [user, friend] = await users(2);
      await befriend(user, friend);
      const watcher = await connect(nodeA, friend);
      const online = presenceOf(watcher, user.id, "online");
      await connect(leaving, user);
      await online;
      // Well inside the default expiry (45 s) and the sweep period: this comes from the stop itself.
      const offline = presenceOf(watcher, user.id, "offline", 3_000);
      await leaving.stop();
      await offline;
      // Stopping one node leaves the other nodes' sockets connected.
      expect(watcher.connected).to.equal(true);
      expect(await friendPresence(apiB, user, friend.id)).to.include({ status: "online" });
    } finally {
      await leaving.stop();
    }
  });

  it("keeps a killed node's users online only until their entries expire, then one node reports them offline", async function () {
    this.timeout(30_000);
    expect(
      (loadConfig(PRESENCE_ENV) as { presenceTtlMs?: number }).presenceTtlMs,
      "src/config.ts must read PRESENCE_TTL_MS into config.presenceTtlMs for this test",
    ).to.equal(TTL_MS);
    const doomed = await startTestNode({ backend: "postgres", redis: true, topology, env: NODE_ENV });
    try {
      const [user, friend] = await users(2);
      await befriend(user, friend);
      const watcher = await connect(nodeA, friend);
      const seen = eventsAbout(watcher, user.id);
      const online = presenceOf(watcher, user.id, "online");
      await connect(doomed, user);
      const came = await online;

      const offline = presenceOf(watcher, user.id, "offline", 10_000);
      const killedAt = Date.now();
      await doomed.kill();
      // Nothing cleaned up: still online, as far as anyone can tell.
      expect(await friendPresence(apiB, friend, user.id)).to.include({ status: "online" });
      const gone = await offline;
      const after = Date.now() - killedAt;
      expect(after, "offline within ttl + sweep (+ slack)").to.be.below(TTL_MS + 5_000);
      // lastSeenAt: the last heartbeat that covered the user, between coming online and the kill.
      expect(Date.parse(gone.lastSeenAt!)).to.be.within(Date.parse(came.lastSeenAt!), killedAt);
      expect(await friendPresence(apiA, friend, user.id)).to.deep.equal({ status: "offline", lastSeenAt: gone.lastSeenAt });
      expect(await registeredSockets(user.id)).to.equal(0);
      expect(seen()).to.deep.equal(["online", "offline"]);
    } finally {
      await doomed.stop();
    }
  });
});

// The tracker port on its own: the same semantics for both adapters, and for Redis the atomic
// transitions and the expiry of a crashed node, with several trackers standing in for nodes.
describe("presence trackers", () => {
  const made: PresenceTracker[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((t) => t.close()));
  });

  const adapters: { name: string; nodes: (n: number, opts?: { ttlMs?: number }) => PresenceTracker[] }[] = [
    {
      name: "memory",
      nodes: (n) => {
        const one = new MemoryPresenceTracker();
        made.push(one);
        return Array.from({ length: n }, () => one);
      },
    },
    {
      name: "redis",
      nodes: (n, opts) =>
        Array.from({ length: n }, () => {
          const t = new RedisPresenceTracker(new Redis(redisUrl), { log: silent, ttlMs: opts?.ttlMs ?? 10_000 });
          made.push(t);
          return t;
        }),
    },
  ];

  for (const { name, nodes } of adapters) {
    describe(name, () => {
      it("gives one 'online' for two devices connecting at once, and one 'offline' for the last of two disconnecting", async () => {
        const [a, b] = nodes(2) as [PresenceTracker, PresenceTracker];
        for (let round = 0; round < 20; round++) {
          const userId = randomUUID();
          const up = await Promise.all([a.connected(userId, `s1-${round}`), b.connected(userId, `s2-${round}`)]);
          expect(up.filter(Boolean).map((c) => c!.status)).to.deep.equal(["online"]);
          const down = await Promise.all([a.disconnected(userId, `s1-${round}`), b.disconnected(userId, `s2-${round}`)]);
          const changes = down.filter(Boolean) as PresenceChange[];
          expect(changes.map((c) => c.status)).to.deep.equal(["offline"]);
          expect(isIso(changes[0]!.lastSeenAt)).to.equal(true);
          expect((await a.statusOf([userId])).get(userId)).to.deep.equal({ status: "offline", lastSeenAt: changes[0]!.lastSeenAt });
        }
      });

      it("is away when every socket says away; ignores unknown sockets and repeated disconnects", async () => {
        const [a, b] = nodes(2) as [PresenceTracker, PresenceTracker];
        const userId = randomUUID();
        await a.connected(userId, "s1");
        expect(await b.connected(userId, "s2")).to.equal(null);
        expect(await a.setAway(userId, "s1", true)).to.deep.include({ status: "online", change: null });
        const away = await b.setAway(userId, "s2", true);
        expect(away.status).to.equal("away");
        expect(away.change).to.include({ userId, status: "away" });
        expect(await b.setAway(userId, "nope", false)).to.deep.include({ status: "away", change: null });
        expect((await b.disconnected(userId, "s2"))?.status).to.equal(undefined);
        expect(await b.disconnected(userId, "s2")).to.equal(null);
        expect((await a.setAway(userId, "s1", false)).change).to.include({ status: "online" });
        expect((await a.disconnected(userId, "s1"))?.status).to.equal("offline");
        expect(await a.setAway(userId, "s1", false)).to.deep.include({ status: "offline", change: null });
      });

      it("answers offline with lastSeenAt null for users never seen, for every id asked", async () => {
        const [a] = nodes(1) as [PresenceTracker];
        const ids = [randomUUID(), randomUUID()];
        const got = await a.statusOf([...ids, ids[0]!]);
        expect([...got.keys()].sort()).to.deep.equal([...ids].sort());
        for (const id of ids) expect(got.get(id)).to.deep.equal({ status: "offline", lastSeenAt: null });
      });
    });
  }

  describe("redis", () => {
    it("expires the sockets of an abandoned (crashed) tracker; exactly one of the live ones reports each offline", async function () {
      this.timeout(10_000);
      const ttlMs = 300;
      const tracker = (onChange?: (c: PresenceChange) => void) => {
        const t = new RedisPresenceTracker(new Redis(redisUrl), { log: silent, ttlMs });
        made.push(t);
        if (onChange) t.onChange(onChange);
        return t;
      };
      const reported: PresenceChange[] = [];
      const [x, y] = [tracker((c) => reported.push(c)), tracker((c) => reported.push(c))];
      const doomed = tracker();
      const mine: string[] = [randomUUID(), randomUUID(), randomUUID()];
      const shared = randomUUID();
      for (const id of mine) await doomed.connected(id, `d-${id}`);
      await doomed.connected(shared, "d-shared");
      await x.connected(shared, "x-shared");

      doomed.abandon();
      const killedAt = Date.now();
      await eventually(async () => mine.every((id) => reported.some((c) => c.userId === id)), { within: 5_000, what: "offline reports" });
      // Live sockets survive many ttl periods thanks to the heartbeat; the shared user never went offline.
      expect((await y.statusOf([shared])).get(shared)?.status).to.equal("online");
      expect(reported.filter((c) => mine.includes(c.userId) || c.userId === shared).map((c) => `${c.userId}:${c.status}`).sort()).to.deep.equal(
        mine.map((id) => `${id}:offline`).sort(),
      );
      for (const c of reported) if (mine.includes(c.userId)) expect(Date.parse(c.lastSeenAt!)).to.be.at.most(killedAt);
    });

    it("registers a live socket again when its entry was lost (Redis restarted or swept during a stall)", async function () {
      this.timeout(10_000);
      const reported: PresenceChange[] = [];
      const t = new RedisPresenceTracker(new Redis(redisUrl), { log: silent, ttlMs: 300 });
      made.push(t);
      t.onChange((c) => reported.push(c));
      const userId = randomUUID();
      await t.connected(userId, "s1");
      const redis = new Redis(redisUrl);
      try {
        await redis.multi().del(`chat:presence:user:${userId}`).zrem("chat:presence:expiry", `${userId} s1`).exec();
        await eventually(async () => reported.some((c) => c.userId === userId && c.status === "online"), { what: "re-registration" });
        expect((await t.statusOf([userId])).get(userId)?.status).to.equal("online");
        // Corrupt data reads as "never seen", not as an error.
        await redis.set(`chat:presence:seen:${userId}`, "yesterday");
        expect((await t.statusOf([userId])).get(userId)).to.deep.equal({ status: "online", lastSeenAt: null });
      } finally {
        redis.disconnect();
      }
    });
  });
});
