import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { expect } from "chai";
import { Api, signUp } from "../helpers/api.js";
import { startTestNode, CLUSTER_JWT_SECRET } from "../helpers/nodes.js";
import { spawnNode } from "../helpers/processes.js";
import { eventually } from "../helpers/eventually.js";
import { collect, connectSocket, emitAck, nextEvent, type ClientSocket } from "../helpers/sockets.js";
import { useCluster, useSockets } from "../helpers/suite.js";

async function directRoom(api: Api) {
  const [alice, bob] = await Promise.all([signUp(api, "Alice"), signUp(api, "Bob")]);
  const roomId: string = (await api.post("/api/rooms", { type: "direct", userId: bob.id }, alice.accessToken)).body.room.id;
  return { alice, bob, roomId };
}

describe("resync after a reconnect, node crash and Redis restart", function () {
  this.timeout(60_000);
  const { track } = useSockets();

  describe("with two nodes", () => {
    const { nodes: [a, b] } = useCluster(2);

    it("sync on the other node returns exactly the messages missed while disconnected, in order", async () => {
      const api = new Api(a.url);
      const { alice, bob, roomId } = await directRoom(api);
      const aliceSock = track(await connectSocket(a.url, alice.accessToken));
      const bobSock = track(await connectSocket(a.url, bob.accessToken));
      await emitAck(bobSock, "room:join", { roomId });
      const first = nextEvent(bobSock, "message:new");
      await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "before", text: "seen" });
      const lastSeen = (await first).seq;
      bobSock.close();
      const missed = [];
      for (let i = 0; i < 7; i++) missed.push((await emitAck(aliceSock, "message:send", { roomId, clientMsgId: `gap${i}`, text: `missed ${i}` })).message);

      const back = track(await connectSocket(b.url, bob.accessToken, { transports: ["polling"] }));
      const sync = await emitAck(back, "sync", { rooms: { [roomId]: lastSeen } });
      expect(sync.ok).to.equal(true);
      expect(sync.rooms[roomId].messages).to.deep.equal(missed);
      expect(sync.rooms[roomId].hasMore).to.equal(false);
      const join = await emitAck(back, "room:join", { roomId, afterSeq: lastSeen });
      expect(join.missed).to.deep.equal(missed);
      expect(join.members.map((m: { userId: string }) => m.userId).sort()).to.deep.equal([alice.id, bob.id].sort());
      // Live again after the join.
      const live = nextEvent(back, "message:new");
      const next = await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "after", text: "live" });
      expect((await live).seq).to.equal(next.message.seq);
    });

    it("sync pages a long gap: hasMore until the client has caught up", async () => {
      const api = new Api(a.url);
      const { alice, bob, roomId } = await directRoom(api);
      for (let i = 0; i < 130; i++) await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: `p${i}`, text: `${i}` }, alice.accessToken);
      const sock = track(await connectSocket(b.url, bob.accessToken));
      const page1 = (await emitAck(sock, "sync", { rooms: { [roomId]: 0 } })).rooms[roomId];
      expect(page1.hasMore).to.equal(true);
      const after = page1.messages.at(-1).seq;
      const page2 = (await emitAck(sock, "sync", { rooms: { [roomId]: after } })).rooms[roomId];
      expect(page2.hasMore).to.equal(false);
      expect([...page1.messages, ...page2.messages].map((m: { seq: number }) => m.seq)).to.deep.equal([...Array(130).keys()].map((i) => i + 1));
    });
  });

  it("a node killed with SIGKILL mid-stream loses no acknowledged message", async () => {
    const proc = await spawnNode();
    const survivor = await startTestNode({ redis: true, env: { JWT_SECRET: CLUSTER_JWT_SECRET } });
    try {
      const api = new Api(proc.url);
      const { alice, roomId } = await directRoom(api);
      const sock = track(await connectSocket(proc.url, alice.accessToken));
      const acked: { seq: number; text: string }[] = [];
      let sent = 0;
      // Keep 20 sends in flight until the process dies.
      const pump = async () => {
        while (sock.connected) {
          const i = sent++;
          const ack = await emitAck(sock, "message:send", { roomId, clientMsgId: `k${i}`, text: `kill ${i}` }).catch(() => null);
          if (ack?.ok) acked.push(ack.message);
        }
      };
      const pumps = [...Array(20)].map(pump);
      await eventually(() => acked.length >= 150, { within: 20_000, what: "150 acks before the kill" });
      proc.child.kill("SIGKILL");
      expect(await proc.exited).to.equal("SIGKILL");
      await Promise.all(pumps);
      expect(acked.length).to.be.at.least(150);

      const history = new Api(survivor.url);
      const stored: { seq: number; text: string }[] = [];
      for (let after = 0; ; ) {
        const page = await history.get(`/api/rooms/${roomId}/messages?after=${after}&limit=100`, alice.accessToken);
        stored.push(...page.body.messages);
        if (!page.body.hasMore) break;
        after = page.body.messages.at(-1).seq;
      }
      const bySeq = new Map(stored.map((m) => [m.seq, m.text]));
      for (const m of acked) expect(bySeq.get(m.seq), `acked seq ${m.seq}`).to.equal(m.text);
      // Stored seqs stay gap-free even though the writer died mid-batch.
      expect(stored.map((m) => m.seq)).to.deep.equal(stored.map((_, i) => i + 1));
    } finally {
      proc.child.kill("SIGKILL");
      await survivor.stop();
    }
  });

  it("after Redis restarts, both nodes reconnect and cross-node broadcasts resume", async () => {
    const port = await freePort();
    let redis = startRedis(port);
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, JWT_SECRET: CLUSTER_JWT_SECRET };
    await waitForPort(port);
    const a = await startTestNode({ env });
    const b = await startTestNode({ env });
    try {
      const api = new Api(a.url);
      const { alice, bob, roomId } = await directRoom(api);
      const aliceSock = track(await connectSocket(a.url, alice.accessToken));
      const bobSock = track(await connectSocket(b.url, bob.accessToken));
      for (const s of [aliceSock, bobSock]) await emitAck(s, "room:join", { roomId });
      const seen = collect(bobSock, "message:new");
      await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "r0", text: "before restart" });
      await eventually(() => seen.length === 1, { within: 5_000, what: "delivery before the restart" });

      redis.kill("SIGKILL");
      await new Promise((r) => redis.once("exit", r));
      // Sends during the outage are still stored and acked: PostgreSQL is the source of truth.
      const during = await emitAck(aliceSock, "message:send", { roomId, clientMsgId: "r1", text: "during outage" });
      expect(during.ok).to.equal(true);
      redis = startRedis(port);
      await waitForPort(port);

      // Broadcasts resume once each node's adapter subscriber is back: send until one crosses,
      // each attempt waiting (at most 500 ms) for its own delivery; then the same the other way.
      let i = 2;
      const crosses = (from: ClientSocket, to: ClientSocket) => async () => {
        const text = `after restart ${i++}`;
        await Promise.all([nextEvent(to, "message:new", (m) => m.text === text, 500), emitAck(from, "message:send", { roomId, clientMsgId: text, text })]);
      };
      await eventually(crosses(aliceSock, bobSock), { within: 30_000, every: 0, what: "a broadcast from node A to node B after the restart" });
      await eventually(crosses(bobSock, aliceSock), { within: 30_000, every: 0, what: "a broadcast from node B to node A after the restart" });
      // Whatever was missed during the outage is recoverable by seq.
      const sync = await emitAck(bobSock, "sync", { rooms: { [roomId]: 1 } });
      expect(sync.rooms[roomId].messages[0].text).to.equal("during outage");
    } finally {
      await a.stop();
      await b.stop();
      redis.kill("SIGKILL");
    }
  });
});

function startRedis(port: number): ChildProcess {
  return spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number) {
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)));
      s.on("error", () => resolve(false));
    });
  return eventually(listening, { every: 50, what: `something listening on ${port}` });
}
