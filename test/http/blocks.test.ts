// Blocks over HTTP on two nodes of one cluster (PROTOCOL.md, "Conversations": blocks): PUT/DELETE
// /api/blocks/:userId and GET /api/blocks, and the doors a block closes. Each node caches who
// blocked whom (src/store/cached-blocks.ts); a block made through one node must hold on the other
// as soon as it is answered, so the checks below go to the other node with no wait at all.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { signUp, type Api, type TestUser } from "../helpers/api.js";
import { useCluster } from "../helpers/suite.js";
import { errorPaths, expectProblem, OTHER_USER_KEYS } from "./expect.js";

describe("blocks across two nodes", function () {
  this.timeout(30_000);
  const { apis: [apiA, apiB] } = useCluster(2);

  const block = (api: Api, blocker: TestUser, blocked: { id: string }) => api.put(`/api/blocks/${blocked.id}`, undefined, blocker.accessToken);
  const unblock = (api: Api, blocker: TestUser, blocked: { id: string }) => api.delete(`/api/blocks/${blocked.id}`, blocker.accessToken);
  const blockedIds = async (api: Api, u: TestUser) => {
    const res = await api.get("/api/blocks", u.accessToken);
    expect(res.status).to.equal(200);
    return (res.body.users as { id: string }[]).map((x) => x.id);
  };
  const openDirect = (api: Api, from: TestUser, to: TestUser) => api.post("/api/rooms", { type: "direct", userId: to.id }, from.accessToken);
  const befriend = (api: Api, from: TestUser, to: TestUser) => api.post("/api/friends/requests", { userId: to.id }, from.accessToken);
  const createGroup = (api: Api, owner: TestUser, members: TestUser[], name = "Group") =>
    api.post("/api/rooms", { type: "group", name, memberIds: members.map((m) => m.id) }, owner.accessToken);
  const invite = (api: Api, inviter: TestUser, roomId: string, users: TestUser[]) => api.post(`/api/rooms/${roomId}/invites`, { userIds: users.map((u) => u.id) }, inviter.accessToken);
  const roomNames = async (api: Api, u: TestUser) => ((await api.get("/api/rooms", u.accessToken)).body.rooms as { name: string }[]).map((r) => r.name);

  /** Ann (the blocker), Bob (whom she blocks), Cat; Bob owns an empty group. */
  async function cast() {
    const [ann, bob, cat] = await Promise.all(["Ann", "Bob", "Cat"].map((n) => signUp(apiA, n)));
    const team = await createGroup(apiB, bob!, [], "Bob's team");
    expect(team.status).to.equal(201);
    return { ann: ann!, bob: bob!, cat: cat!, teamId: team.body.room.id as string };
  }

  it("a block through node A closes node B's doors at once, though B had just let the blocked user through", async () => {
    const { ann, bob, cat, teamId } = await cast();
    // B answers for Bob first, so it holds "nobody blocked Bob" when the block is made on A.
    expect((await openDirect(apiB, bob, cat)).status).to.equal(201);

    expect((await block(apiA, ann, bob)).status).to.equal(204);

    expect(expectProblem(await openDirect(apiB, bob, ann), "FORBIDDEN").detail).to.equal("you cannot message this user");
    expectProblem(await befriend(apiB, bob, ann), "FORBIDDEN");
    expectProblem(await invite(apiB, bob, teamId, [cat, ann]), "FORBIDDEN");
    expectProblem(await createGroup(apiB, bob, [cat, ann], "Trap"), "FORBIDDEN");
    // Refused whole: no group was left behind, and Cat got no invite from either request.
    expect(await roomNames(apiB, bob)).to.not.include("Trap");
    expect((await apiB.get("/api/invites", cat.accessToken)).body.invites).to.deep.equal([]);
    expect((await apiB.get("/api/friends/requests", ann.accessToken)).body.incoming).to.deep.equal([]);
  });

  it("reopening a direct room that existed before the block is refused too", async () => {
    const { ann, bob } = await cast();
    expect((await openDirect(apiB, bob, ann)).status).to.equal(201);
    expect((await block(apiA, ann, bob)).status).to.equal(204);
    expectProblem(await openDirect(apiB, bob, ann), "FORBIDDEN");
  });

  it("is one-way: the blocker may still open the direct room, befriend and invite the blocked user", async () => {
    const { ann, bob } = await cast();
    expect((await block(apiA, ann, bob)).status).to.equal(204);
    expect((await openDirect(apiB, ann, bob)).status).to.equal(201);
    expect((await befriend(apiB, ann, bob)).status).to.equal(201);
    const annsTeam = await createGroup(apiB, ann, [bob], "Ann's team");
    expect(annsTeam.status).to.equal(201);
  });

  it("an unblock through node B reopens node A's doors at once", async () => {
    const { ann, bob, cat, teamId } = await cast();
    expect((await block(apiA, ann, bob)).status).to.equal(204);
    // A holds "Ann blocked Bob" when the unblock is made on B.
    expectProblem(await openDirect(apiA, bob, ann), "FORBIDDEN");

    expect((await unblock(apiB, ann, bob)).status).to.equal(204);

    expect((await openDirect(apiA, bob, ann)).status).to.equal(201);
    expect((await befriend(apiA, bob, ann)).status).to.equal(201);
    expect((await invite(apiA, bob, teamId, [cat, ann])).status).to.equal(201);
    expect((await createGroup(apiA, bob, [ann], "Again")).status).to.equal(201);
  });

  it("GET /api/blocks lists the blocked users, oldest block first, shown as other users are; PUT and DELETE are idempotent", async () => {
    const { ann, bob, cat } = await cast();
    expect(await blockedIds(apiB, ann)).to.deep.equal([]);
    expect((await block(apiA, ann, cat)).status).to.equal(204);
    expect((await block(apiA, ann, bob)).status).to.equal(204);
    expect((await block(apiB, ann, bob)).status).to.equal(204);
    const listed = await apiB.get("/api/blocks", ann.accessToken);
    expect(listed.body.users.map((u: { id: string }) => u.id)).to.deep.equal([cat.id, bob.id]);
    expect(listed.body.users[1]).to.have.all.keys(...OTHER_USER_KEYS);
    expect(listed.body.users[1]).to.include({ id: bob.id, displayName: "Bob" });
    // The blocked user sees nothing of it.
    expect(await blockedIds(apiA, bob)).to.deep.equal([]);

    expect((await unblock(apiA, ann, cat)).status).to.equal(204);
    expect((await unblock(apiB, ann, cat)).status).to.equal(204);
    expect((await unblock(apiB, ann, { id: randomUUID() })).status).to.equal(204);
    expect(await blockedIds(apiA, ann)).to.deep.equal([bob.id]);
  });

  it("refuses blocking oneself (400 naming userId), an unknown user (404), a malformed id (400) and no token (401)", async () => {
    const { ann } = await cast();
    expect(errorPaths(await block(apiA, ann, ann))).to.deep.equal(["userId"]);
    expectProblem(await block(apiA, ann, { id: randomUUID() }), "NOT_FOUND");
    expect(errorPaths(await block(apiA, ann, { id: "not-an-id" }))).to.deep.equal(["userId"]);
    expectProblem(await apiA.put(`/api/blocks/${ann.id}`), "UNAUTHORIZED");
    expectProblem(await apiA.get("/api/blocks"), "UNAUTHORIZED");
    expect(await blockedIds(apiA, ann)).to.deep.equal([]);
  });
});
