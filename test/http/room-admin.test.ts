// Room roles, bans and mutes on two nodes of one cluster (PROTOCOL.md, "Accounts and rooms over
// their life"). Each node caches room members with their mutes (src/store/cached-rooms.ts): a ban
// or a mute made through one node must hold on the other as soon as it is answered, so the checks
// below go to the other node with no wait at all, on both doors (HTTP and socket).
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp, type Api, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { groupWith } from "../helpers/rooms.js";
import { collect, emitAck, type ClientSocket } from "../helpers/sockets.js";
import { useCluster, useNode } from "../helpers/suite.js";
import { expectProblem, NODE_START_TIMEOUT_MS } from "./expect.js";

type Message = { seq: number; type: string; senderId: string; text: string; clientMsgId: string | null };

describe("room roles, bans and mutes across two nodes", function () {
  this.timeout(30_000);
  const { nodes: [nodeA, nodeB], apis: [apiA, apiB], connect } = useCluster(2);

  let ann: TestUser, bob: TestUser, cat: TestUser, dan: TestUser, eve: TestUser;
  let room: string;

  const httpSend = (api: Api, who: TestUser, text = "hello") => api.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text }, who.accessToken);
  const socketSend = (socket: ClientSocket, text = "hello") => emitAck(socket, "message:send", { roomId: room, clientMsgId: randomUUID(), text });
  const setRole = (api: Api, who: TestUser, target: TestUser, role: string) => api.put(`/api/rooms/${room}/members/${target.id}/role`, { role }, who.accessToken);
  const ban = (api: Api, who: TestUser, target: TestUser, body: object = {}) => api.put(`/api/rooms/${room}/bans/${target.id}`, body, who.accessToken);
  const mute = (api: Api, who: TestUser, target: TestUser, seconds: number) => api.put(`/api/rooms/${room}/mutes/${target.id}`, { seconds }, who.accessToken);
  const members = async (api: Api, who: TestUser) =>
    Object.fromEntries(((await api.get(`/api/rooms/${room}`, who.accessToken)).body.members as { user: { id: string }; role: string }[]).map((m) => [m.user.id, m.role]));
  const systemTexts = async (api: Api, who: TestUser) =>
    ((await api.get(`/api/rooms/${room}/messages?limit=100`, who.accessToken)).body.messages as Message[]).filter((m) => m.type === "system").map((m) => [m.senderId, m.text]);

  beforeEach(async () => {
    [ann, bob, cat, dan, eve] = (await Promise.all(["Ann", "Bob", "Cat", "Dan", "Eve"].map((n) => signUp(apiA, n)))) as [TestUser, TestUser, TestUser, TestUser, TestUser];
    // Ann owns the room; Bob is made an admin; Cat and Dan are members; Eve is not in it.
    room = await groupWith(apiA, ann, [bob, cat, dan], "Team");
    expect((await setRole(apiA, ann, bob, "admin")).status).to.equal(200);
  });

  it("a ban through node A removes the user on both doors of node B at once: FORBIDDEN sends and invites, no more message:new", async () => {
    const danSocket = await connect(nodeB, dan);
    const catSocket = await connect(nodeB, cat);
    for (const s of [danSocket, catSocket]) expect((await emitAck(s, "room:join", { roomId: room })).ok).to.equal(true);
    const danGot = collect<Message>(danSocket, "message:new");
    const danEvents = collect<{ type: string; data: { roomId?: string } }>(danSocket, "event");
    const catGot = collect<Message>(catSocket, "message:new");
    // Node B answers for Dan first, so it holds him as a member when the ban is made on A.
    expect((await httpSend(apiB, dan, "before")).status).to.equal(201);

    const banned = await ban(apiA, bob, dan, { reason: "spam" });
    expect(banned.status, JSON.stringify(banned.body)).to.equal(200);
    expect(banned.body.ban).to.deep.include({ userId: dan.id, bannedBy: bob.id, reason: "spam" });

    const ack = await socketSend(danSocket, "through the socket");
    expect(ack).to.deep.include({ ok: false });
    expect(ack.error.code).to.equal("FORBIDDEN");
    expect(expectProblem(await httpSend(apiB, dan, "through HTTP"), "FORBIDDEN").detail).to.match(/banned/);
    expectProblem(await apiB.post(`/api/rooms/${room}/invites`, { userIds: [dan.id] }, cat.accessToken), "FORBIDDEN");
    // Anyone else not in the room is still told nothing.
    expectProblem(await httpSend(apiB, eve), "NOT_FOUND");

    // The room goes on without Dan's sockets; his feed says room.removed.
    expect((await httpSend(apiB, cat, "after the ban")).status).to.equal(201);
    await eventually(() => catGot.some((m) => m.text === "after the ban"), { what: "Cat's message:new" });
    expect(danGot.map((m) => m.text)).to.not.include("after the ban");
    await eventually(() => danEvents.some((e) => e.type === "room.removed" && e.data.roomId === room), { what: "Dan's room.removed" });
    expect(catGot.find((m) => m.type === "system")).to.include({ senderId: bob.id, text: "banned Dan", clientMsgId: null });

    // Idempotent, and listed to the owner and admins only.
    expect((await ban(apiB, ann, dan, { reason: "again" })).body.ban).to.deep.equal(banned.body.ban);
    const bans = await apiB.get(`/api/rooms/${room}/bans`, ann.accessToken);
    expect(bans.body).to.deep.equal({ bans: [banned.body.ban] });
    expectProblem(await apiB.get(`/api/rooms/${room}/bans`, cat.accessToken), "FORBIDDEN");
    expect((await systemTexts(apiA, ann)).filter(([, text]) => text === "banned Dan")).to.have.length(1);

    // Unbanned through B, Dan can be invited again through A.
    expect((await apiB.delete(`/api/rooms/${room}/bans/${dan.id}`, bob.accessToken)).status).to.equal(204);
    expect((await apiB.delete(`/api/rooms/${room}/bans/${dan.id}`, bob.accessToken)).status).to.equal(204);
    expect((await apiA.post(`/api/rooms/${room}/invites`, { userIds: [dan.id] }, cat.accessToken)).status).to.equal(201);
  });

  it("a pending invite of a banned user is cancelled, and accepting it is FORBIDDEN", async () => {
    const invited = await apiA.post(`/api/rooms/${room}/invites`, { userIds: [eve.id] }, cat.accessToken);
    const inviteId = invited.body.invites[0].id as string;
    expect((await ban(apiA, ann, eve)).status).to.equal(200);
    expect((await apiB.get("/api/invites", eve.accessToken)).body.invites).to.deep.equal([]);
    expectProblem(await apiB.post(`/api/invites/${inviteId}/accept`, undefined, eve.accessToken), "FORBIDDEN");
    expect(await members(apiB, ann)).to.not.have.property(eve.id);
  });

  it("ranks: an admin bans or mutes neither the owner nor another admin; members do none of it", async () => {
    expect((await setRole(apiA, ann, cat, "admin")).status).to.equal(200);
    expectProblem(await ban(apiB, bob, ann), "FORBIDDEN");
    expectProblem(await ban(apiB, bob, cat), "FORBIDDEN");
    expectProblem(await mute(apiB, bob, cat, 60), "FORBIDDEN");
    expectProblem(await mute(apiB, bob, ann, 60), "FORBIDDEN");
    expectProblem(await ban(apiB, dan, eve), "FORBIDDEN");
    expectProblem(await mute(apiB, dan, cat, 60), "FORBIDDEN");
    expectProblem(await apiB.patch(`/api/rooms/${room}`, { name: "Mine" }, dan.accessToken), "FORBIDDEN");
    // Roles and transfer are the owner's alone.
    expectProblem(await setRole(apiB, bob, dan, "admin"), "FORBIDDEN");
    expectProblem(await apiB.post(`/api/rooms/${room}/transfer`, { userId: bob.id }, bob.accessToken), "FORBIDDEN");
    expect(await members(apiA, ann)).to.deep.equal({ [ann.id]: "owner", [bob.id]: "admin", [cat.id]: "admin", [dan.id]: "member" });
  });

  it("a mute through node A refuses sends on node B at once, on both doors, and lifts when it runs out", async () => {
    const danSocket = await connect(nodeB, dan);
    expect((await httpSend(apiB, dan, "before")).status).to.equal(201);

    const muted = await mute(apiA, bob, dan, 600);
    expect(muted.status, JSON.stringify(muted.body)).to.equal(200);
    expect(muted.body.mute.userId).to.equal(dan.id);
    expect(Date.parse(muted.body.mute.until) - Date.now()).to.be.within(590_000, 600_000);

    const detail = expectProblem(await httpSend(apiB, dan), "FORBIDDEN").detail as string;
    expect(detail).to.match(/muted/).and.to.match(/\d+ minutes?/);
    const ack = await socketSend(danSocket);
    expect([ack.ok, ack.error?.code]).to.deep.equal([false, "FORBIDDEN"]);
    // Others are not muted.
    expect((await httpSend(apiB, cat)).status).to.equal(201);

    // Muted again for a second: a new end, which passes with no timer anywhere.
    expect((await mute(apiB, ann, dan, 1)).status).to.equal(200);
    await eventually(async () => expect((await httpSend(apiA, dan, "free again")).status).to.equal(201), { what: "the mute to run out" });
    expect((await socketSend(danSocket, "free on the socket too")).ok).to.equal(true);
    expect((await systemTexts(apiB, cat)).map(([, text]) => text)).to.include.members(["muted Dan for 10 minutes", "muted Dan for 1 second"]);
  });

  it("an unmute through node B lets the member send through node A at once", async () => {
    expect((await httpSend(apiA, dan)).status).to.equal(201);
    expect((await mute(apiA, ann, dan, 600)).status).to.equal(200);
    expectProblem(await httpSend(apiA, dan), "FORBIDDEN");
    expect((await apiB.delete(`/api/rooms/${room}/mutes/${dan.id}`, bob.accessToken)).status).to.equal(204);
    expect((await httpSend(apiA, dan)).status).to.equal(201);
  });

  it("settings, roles and transfer: each a system message; the owner leaving hands the room to the oldest admin", async () => {
    const patched = await apiB.patch(`/api/rooms/${room}`, { name: "Crew", topic: "Ship it" }, bob.accessToken);
    expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
    expect(patched.body.room).to.include({ id: room, name: "Crew", topic: "Ship it", role: "admin" });
    expect((await apiA.get(`/api/rooms/${room}`, dan.accessToken)).body.room.topic).to.equal("Ship it");

    const transferred = await apiA.post(`/api/rooms/${room}/transfer`, { userId: cat.id }, ann.accessToken);
    expect(transferred.status, JSON.stringify(transferred.body)).to.equal(200);
    expect(transferred.body.room.role).to.equal("admin");
    expectProblem(await setRole(apiB, ann, dan, "admin"), "FORBIDDEN");
    expect((await setRole(apiB, cat, dan, "admin")).status).to.equal(200);
    expect(await members(apiA, cat)).to.deep.equal({ [ann.id]: "admin", [bob.id]: "admin", [cat.id]: "owner", [dan.id]: "admin" });

    expect((await apiB.post(`/api/rooms/${room}/leave`, undefined, cat.accessToken)).status).to.equal(204);
    // Ann, Bob and Dan are admins; Ann joined first.
    expect(await members(apiA, bob)).to.deep.equal({ [ann.id]: "owner", [bob.id]: "admin", [dan.id]: "admin" });
    expect(await systemTexts(apiA, bob)).to.deep.equal([
      [ann.id, "made Bob an admin"],
      [bob.id, 'renamed the room to "Crew" and set the topic to "Ship it"'],
      [ann.id, "handed ownership to Cat"],
      [cat.id, "made Dan an admin"],
      [cat.id, "left and handed ownership to Ann"],
    ]);
  });

  it("PATCH of a direct room is FORBIDDEN: direct rooms have no owner or admins", async () => {
    const dm = await apiA.post("/api/rooms", { type: "direct", userId: dan.id }, ann.accessToken);
    expectProblem(await apiB.patch(`/api/rooms/${dm.body.room.id}`, { name: "Ours" }, ann.accessToken), "FORBIDDEN");
    expectProblem(await apiB.put(`/api/rooms/${dm.body.room.id}/bans/${dan.id}`, {}, ann.accessToken), "FORBIDDEN");
  });

  it("to a non-member every admin route answers NOT_FOUND, word for word as for a room that does not exist", async () => {
    const routes: [string, (roomId: string) => string, object | undefined][] = [
      ["PATCH", (r) => `/api/rooms/${r}`, { name: "Mine" }],
      ["PUT", (r) => `/api/rooms/${r}/members/${dan.id}/role`, { role: "admin" }],
      ["POST", (r) => `/api/rooms/${r}/transfer`, { userId: dan.id }],
      ["PUT", (r) => `/api/rooms/${r}/bans/${dan.id}`, {}],
      ["DELETE", (r) => `/api/rooms/${r}/bans/${dan.id}`, undefined],
      ["GET", (r) => `/api/rooms/${r}/bans`, undefined],
      ["PUT", (r) => `/api/rooms/${r}/mutes/${dan.id}`, { seconds: 60 }],
      ["DELETE", (r) => `/api/rooms/${r}/mutes/${dan.id}`, undefined],
    ];
    for (const [method, path, body] of routes) {
      const real = expectProblem(await apiB.request(method, path(room), { token: eve.accessToken, body }), "NOT_FOUND");
      const madeUp = expectProblem(await apiB.request(method, path(randomUUID()), { token: eve.accessToken, body }), "NOT_FOUND");
      expect(real.detail, `${method} ${path(":id")}`).to.equal(madeUp.detail);
    }
    expect(await members(apiA, ann)).to.deep.equal({ [ann.id]: "owner", [bob.id]: "admin", [cat.id]: "member", [dan.id]: "member" });
  });
});

// The same statements on the embedded database (PGlite, one node without Redis): a ban's
// transaction (insert, cancel invites with RETURNING), a transfer's, a mute through the member cache.
describe("room roles, bans and mutes on the embedded database", function () {
  this.timeout(60_000);
  const { api } = useNode({ backend: "embedded" }, { startTimeoutMs: NODE_START_TIMEOUT_MS });

  it("bans (cancelling an invite), mutes and transfers", async () => {
    const [ann, bob, cat] = (await Promise.all(["Ann", "Bob", "Cat"].map((n) => signUp(api, n)))) as [TestUser, TestUser, TestUser];
    const room = await groupWith(api, ann, [bob], "Team");
    expect((await api.post(`/api/rooms/${room}/invites`, { userIds: [cat.id] }, bob.accessToken)).status).to.equal(201);
    const banned = await api.put(`/api/rooms/${room}/bans/${cat.id}`, { reason: "spam" }, ann.accessToken);
    expect(banned.status, JSON.stringify(banned.body)).to.equal(200);
    expect((await api.put(`/api/rooms/${room}/bans/${cat.id}`, {}, ann.accessToken)).body).to.deep.equal(banned.body);
    expect((await api.get("/api/invites", cat.accessToken)).body.invites).to.deep.equal([]);

    expect((await api.put(`/api/rooms/${room}/mutes/${bob.id}`, { seconds: 600 }, ann.accessToken)).status).to.equal(200);
    expectProblem(await api.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text: "hi" }, bob.accessToken), "FORBIDDEN");
    expect((await api.delete(`/api/rooms/${room}/mutes/${bob.id}`, ann.accessToken)).status).to.equal(204);
    expect((await api.post(`/api/rooms/${room}/messages`, { clientMsgId: randomUUID(), text: "hi" }, bob.accessToken)).status).to.equal(201);

    const transferred = await api.post(`/api/rooms/${room}/transfer`, { userId: bob.id }, ann.accessToken);
    expect(transferred.status, JSON.stringify(transferred.body)).to.equal(200);
    expect(transferred.body.room.role).to.equal("admin");
  });
});
