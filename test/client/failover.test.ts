// Two SDK clients in one room on two real nodes (one PostgreSQL, one Redis). The sender's node is
// its own process, SIGKILLed while the sender's outbox still holds hundreds of its 500 sends: the
// client reconnects to the other node, resyncs, and resends with the same clientMsgIds. The
// receiver never reconnects: messages the dead node stored but never broadcast reach it as gaps
// in its timeline, which it fills (gap-repair.ts).
import { expect } from "chai";
import { ChatClient, type Message } from "../../packages/client/src/index.js";
import { Api, signUp } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { CLUSTER_JWT_SECRET, startTestNode, type TestNode } from "../helpers/nodes.js";
import { spawnNode, type NodeProcess } from "../helpers/processes.js";

const SENDS = 500;
// The per-socket send burst is raised as load tests raise it: 500 sends queued at once.
const LIMITS = { RATE_LIMIT_SOCKET_SENDS: "2000", RATE_LIMIT_SOCKET_EVENTS: "2000" };

describe("client SDK against two nodes, one of them killed", function () {
  this.timeout(120_000);
  let doomed: NodeProcess;
  let survivor: TestNode;
  const clients: ChatClient[] = [];

  before(async function () {
    this.timeout(90_000); // a node process compiles its TypeScript as it starts: seconds, more on a busy machine
    [doomed, survivor] = await Promise.all([spawnNode(LIMITS, { startTimeoutMs: 60_000 }), startTestNode({ redis: true, env: { JWT_SECRET: CLUSTER_JWT_SECRET, ...LIMITS } })]);
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    doomed?.child.kill("SIGKILL");
    await survivor?.stop();
  });

  it("a sender whose node is SIGKILLed mid-stream ends with the server's history: nothing acked lost, nothing twice, its outbox drained", async () => {
    const api = new Api(survivor.url);
    const [aliceAccount, bobAccount] = await Promise.all([signUp(api, "Alice"), signUp(api, "Bob")]);
    // Alice's client knows both nodes and starts on the doomed one; Bob's is on the survivor.
    const alice = new ChatClient({ urls: [doomed.url, survivor.url] });
    const bob = new ChatClient({ urls: [survivor.url] });
    clients.push(alice, bob);
    await alice.login(aliceAccount.email, aliceAccount.password);
    await bob.login(bobAccount.email, bobAccount.password);
    const { room } = await alice.rest.openDirect(bobAccount.id);
    const aliceRoom = alice.room(room.id);
    const bobRoom = bob.room(room.id);
    alice.connect();
    bob.connect();
    await Promise.all([alice.ready(), bob.ready()]);
    expect(alice.connection.url).to.equal(doomed.url);

    const acked = new Map<string, Message>();
    alice.outbox.on("sent", (m) => acked.set(m.clientMsgId!, m));
    const sends = Array.from({ length: SENDS }, (_, i) => alice.send(room.id, `message ${i}`));
    await eventually(() => acked.size >= 100, { within: 30_000, what: "100 acks before the kill" });
    doomed.child.kill("SIGKILL");
    expect(await doomed.exited).to.equal("SIGKILL");
    const pendingAtKill = alice.outbox.size;
    expect(pendingAtKill, "sends still unacked when the node died").to.be.greaterThan(0);

    const stored = await Promise.all(sends.map((s) => s.acked));
    await alice.outbox.drained();
    expect(alice.outbox.size).to.equal(0);
    expect(alice.connection.url).to.equal(survivor.url);
    expect(alice.connection.connectCount).to.be.at.least(2);

    const history = await bob.rest.messagesAfter(room.id);
    // Exactly the 500 sends, once each, seqs 1…500 with no gap.
    expect(history.map((m) => m.seq)).to.deep.equal(history.map((_, i) => i + 1));
    expect(history.map((m) => m.clientMsgId).sort()).to.deep.equal(sends.map((s) => s.clientMsgId).sort());
    expect(history.map((m) => m.text).sort()).to.deep.equal(sends.map((_, i) => `message ${i}`).sort());
    // Every ack names the message the server kept for that send.
    const bySeq = new Map(history.map((m) => [m.seq, m]));
    for (const m of [...acked.values(), ...stored]) expect(bySeq.get(m.seq)?.clientMsgId, `seq ${m.seq}`).to.equal(m.clientMsgId);
    // Both timelines end equal to the server's history, however each message reached them.
    await eventually(() => expect(aliceRoom.messages()).to.deep.equal(history), { within: 10_000, what: "Alice's timeline" });
    await eventually(() => expect(bobRoom.messages()).to.deep.equal(history), { within: 10_000, what: "Bob's timeline" });
    expect(aliceRoom.position().afterSeq).to.equal(SENDS);
  });
});
