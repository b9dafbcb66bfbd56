// Reports and operators' deletions on real services, two nodes (PROTOCOL.md, "Accounts and rooms
// over their life"): a report reaches the room's owner as a feed event and the operators' queue;
// an operator's delete of a message is the sender's delete (sockets on the other node, search);
// a deleted room is gone for its members on every node.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp, type TestUser } from "../helpers/api.js";
import { grantOperator } from "../helpers/admin-cli.js";
import { eventually } from "../helpers/eventually.js";
import { groupWith } from "../helpers/rooms.js";
import { collect, emitAck, nextEvent } from "../helpers/sockets.js";
import { useCluster } from "../helpers/suite.js";
import { expectProblem } from "./expect.js";

describe("reports and operators' deletions across two nodes", function () {
  this.timeout(60_000);
  const { nodes: [a, b], apis: [apiA, apiB], connect } = useCluster(2);
  let op: TestUser;

  before(async function () {
    this.timeout(60_000);
    op = await signUp(apiA, "Operator");
    await grantOperator(op.email);
  });

  const send = async (u: TestUser, roomId: string, text: string) => {
    const res = await apiA.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text }, u.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.message as { id: string; seq: number };
  };

  it("a member's report of a message reaches the owner's socket on the other node as report.created, and the operators' queue; an outsider's is 404", async () => {
    const [owner, bob, carol, eve] = await Promise.all(["Owner", "Bob", "Carol", "Eve"].map((n) => signUp(apiA, n)));
    const roomId = await groupWith(apiA, owner!, [bob!, carol!]);
    const message = await send(bob!, roomId, "something rude");
    const ownerSocket = await connect(b, owner!);
    const heard = nextEvent<{ type: string; data: { report: Record<string, unknown> } }>(ownerSocket, "event", (e) => e.type === "report.created");
    const filed = await apiA.post("/api/reports", { messageId: message.id, reason: "rude" }, carol!.accessToken);
    expect(filed.status, JSON.stringify(filed.body)).to.equal(201);
    expect(filed.body.report).to.include({ reporterId: carol!.id, messageId: message.id, roomId, seq: message.seq, userId: bob!.id, status: "open" });
    const event = await heard;
    expect(event.data.report).to.include({ id: filed.body.report.id, messageId: message.id, reason: "rude" });
    expect(event.data.report).to.not.have.property("reporterId");

    const outsider = await apiB.post("/api/reports", { messageId: message.id, reason: "rude" }, eve!.accessToken);
    const madeUp = await apiB.post("/api/reports", { messageId: `${randomUUID()}:1`, reason: "rude" }, eve!.accessToken);
    expect(expectProblem(outsider, "NOT_FOUND").detail).to.equal(expectProblem(madeUp, "NOT_FOUND").detail);
    expectProblem(await apiB.post("/api/reports", { messageId: message.id, userId: bob!.id, reason: "both" }, carol!.accessToken), "VALIDATION");
    expectProblem(await apiB.post("/api/reports", { userId: bob!.id, reason: "x".repeat(501) }, carol!.accessToken), "VALIDATION");
    const byUser = await apiB.post("/api/reports", { userId: bob!.id, reason: "impersonates me" }, carol!.accessToken);
    expect(byUser.status).to.equal(201);

    const open = await apiB.get("/api/admin/reports?status=open&limit=100", op.accessToken);
    expect(open.status).to.equal(200);
    const mine = open.body.reports.filter((r: { reporterId: string }) => r.reporterId === carol!.id);
    expect(mine.map((r: { id: string }) => r.id)).to.deep.equal([byUser.body.report.id, filed.body.report.id]);
    expect(mine[1].message).to.include({ id: message.id, text: "something rude" });
    const resolved = await apiA.post(`/api/admin/reports/${filed.body.report.id}/resolve`, { resolution: "warned the sender" }, op.accessToken);
    expect(resolved.status).to.equal(200);
    expect(resolved.body.report).to.include({ status: "resolved", resolvedBy: op.id, resolution: "warned the sender" });
    expectProblem(await apiB.post(`/api/admin/reports/${filed.body.report.id}/resolve`, { resolution: "again" }, op.accessToken), "CONFLICT");
  });

  it("an operator's delete of a message tombstones it for the room's sockets on the other node and for search", async () => {
    const [owner, bob] = await Promise.all([signUp(apiA, "Owner"), signUp(apiA, "Bob")]);
    const roomId = await groupWith(apiA, owner, [bob]);
    const word = `zebra${randomUUID().slice(0, 8)}`;
    const message = await send(bob, roomId, `a ${word} here`);
    await eventually(async () => expect((await apiA.get(`/api/search/messages?q=${word}`, owner.accessToken)).body.results).to.have.length(1), { within: 3_000 });
    const socket = await connect(b, owner);
    expect((await emitAck(socket, "room:join", { roomId })).ok).to.equal(true);
    const updated = nextEvent<{ id: string; text: string; deletedAt?: string }>(socket, "message:updated", (m) => m.id === message.id);
    const res = await apiA.request("DELETE", `/api/admin/messages/${message.id}`, { token: op.accessToken, body: { reason: "spam" } });
    expect(res.status, JSON.stringify(res.body)).to.equal(204);
    const seen = await updated;
    expect(seen).to.include({ text: "" });
    expect(seen.deletedAt).to.be.a("string");
    await eventually(async () => expect((await apiB.get(`/api/search/messages?q=${word}`, owner.accessToken)).body.results).to.have.length(0), { within: 3_000 });
    expect((await apiB.request("DELETE", `/api/admin/messages/${message.id}`, { token: op.accessToken })).status, "again: idempotent").to.equal(204);
    expectProblem(await apiB.request("DELETE", `/api/admin/messages/${roomId}:999`, { token: op.accessToken }), "NOT_FOUND");
  });

  it("an operator's delete of a room: members get room.removed, leave it on every node, and every route answers 404 after", async () => {
    const [owner, bob] = await Promise.all([signUp(apiA, "Owner"), signUp(apiA, "Bob")]);
    const roomId = await groupWith(apiA, owner, [bob]);
    await send(bob, roomId, "before");
    // Bob's socket on node B, joined; the owner's on node A.
    const bobSocket = await connect(b, bob);
    expect((await emitAck(bobSocket, "room:join", { roomId })).ok).to.equal(true);
    const bobNews = collect(bobSocket, "message:new");
    const removed = nextEvent(bobSocket, "event", (e: { type: string; data: { roomId?: string } }) => e.type === "room.removed" && e.data.roomId === roomId);
    const ownerSocket = await connect(a, owner);
    const ownerRemoved = nextEvent(ownerSocket, "event", (e: { type: string; data: { roomId?: string } }) => e.type === "room.removed" && e.data.roomId === roomId);
    const res = await apiB.request("DELETE", `/api/admin/rooms/${roomId}`, { token: op.accessToken, body: { reason: "illegal content" } });
    expect(res.status, JSON.stringify(res.body)).to.equal(204);
    await Promise.all([removed, ownerRemoved]);
    for (const api of [apiA, apiB]) {
      expectProblem(await api.get(`/api/rooms/${roomId}`, bob.accessToken), "NOT_FOUND");
      expectProblem(await api.get(`/api/rooms/${roomId}/messages`, owner.accessToken), "NOT_FOUND");
      expectProblem(await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text: "after" }, owner.accessToken), "NOT_FOUND");
    }
    const sendAck = await emitAck(bobSocket, "message:send", { roomId, clientMsgId: randomUUID(), text: "after" });
    expect(sendAck.error?.code).to.equal("NOT_FOUND");
    expect(bobNews).to.deep.equal([]);
    expect((await apiA.get("/api/rooms", bob.accessToken)).body.rooms.map((r: { id: string }) => r.id)).to.not.include(roomId);
    expectProblem(await apiA.request("DELETE", `/api/admin/rooms/${roomId}`, { token: op.accessToken }), "NOT_FOUND");
    const audit = (await apiA.get("/api/admin/audit?limit=20", op.accessToken)).body.entries as { action: string; targetId: string; reason: string }[];
    expect(audit.find((e) => e.targetId === roomId)).to.include({ action: "room.delete", reason: "illegal content" });
  });

  it("stats count users, rooms and messages, and list this node's sockets", async () => {
    const u = await signUp(apiA, "Counted");
    const roomId = (await apiA.post("/api/rooms", { type: "group", name: "Counted" }, u.accessToken)).body.room.id as string;
    await send(u, roomId, "one");
    await send(u, roomId, "two");
    await connect(a, u);
    const stats = await apiA.get("/api/admin/stats", op.accessToken);
    expect(stats.status).to.equal(200);
    expect(stats.body.users).to.be.at.least(2);
    expect(stats.body.rooms).to.be.at.least(1);
    expect(stats.body.messages).to.be.at.least(2);
    // Both nodes report into Redis; the asking node's figure is fresh (this test's socket is on it).
    expect(stats.body.sockets.nodes.length).to.be.at.least(2);
    expect(stats.body.sockets.total).to.be.at.least(1);
    expect(stats.body.sockets.total).to.equal(stats.body.sockets.nodes.reduce((n: number, s: { sockets: number }) => n + s.sockets, 0));
  });
});
