// DELETE /api/me across two nodes of one cluster (docs/accounts.md, "Deletion"): the account ends on
// every node at once, its messages stay as tombstones (and leave search), its files leave storage,
// its group passes on, and its email can sign up again. A refused delete changes nothing.
import { randomUUID } from "node:crypto";
import path from "node:path";
import { expect } from "chai";
import sharp from "sharp";
import { signUp, type Api, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { fileForm, filesUnder, mediaEnv, postTrack, sineAudio, waitForTrack } from "../helpers/media.js";
import { groupWith } from "../helpers/rooms.js";
import { collect, emitAck, type ClientSocket } from "../helpers/sockets.js";
import { useCluster } from "../helpers/suite.js";
import { expectProblem } from "./expect.js";

// PROTOCOL: a revoked session stops working on every node within 1 s; search reflects a delete within 2 s.
const ENDED_EVERYWHERE_WITHIN_MS = 1_000;
const SEARCH_WITHIN_MS = 2_000;

describe("account deletion across two nodes (DELETE /api/me)", function () {
  this.timeout(60_000);
  // One DATA_DIR for both nodes, as in production: files written through one are deleted through the other.
  const { nodes: [a, b], apis: [apiA, apiB], connect } = useCluster(2, async () => ({ env: await mediaEnv() }), { sharedDataDir: true });
  const blobs = () => path.join(a.dataDir, "blobs");

  const send = async (api: Api, user: TestUser, roomId: string, text: string, attachmentIds?: string[]) => {
    const res = await api.post(`/api/rooms/${roomId}/messages`, { clientMsgId: randomUUID(), text, ...(attachmentIds ? { attachmentIds } : {}) }, user.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.message as { seq: number; id: string };
  };
  const search = async (user: TestUser, q: string) => (await apiB.get(`/api/search/messages?q=${encodeURIComponent(q)}`, user.accessToken)).body.results as { message: { id: string } }[];
  const history = async (user: TestUser, roomId: string) => (await apiB.get(`/api/rooms/${roomId}/messages?after=0&limit=100`, user.accessToken)).body.messages as any[];
  /** A socket that notes when the server closed it. */
  const watched = async (node: { url: string }, user: TestUser) => {
    const socket = await connect(node, user);
    const closed = new Promise<number>((resolve) => socket.once("disconnect", () => resolve(Date.now())));
    return { socket, closed };
  };

  let ann: TestUser;
  let bob: TestUser;
  let cat: TestUser;
  let group: string;
  let dm: string;
  let word: string;
  let annsMessages: { seq: number; id: string }[];
  let annsFiles: string[];
  let bobsFile: string;

  before(async function () {
    this.timeout(90_000);
    [ann, bob, cat] = await Promise.all(["Ann", "Bob", "Cat"].map((n) => signUp(apiA, n))) as [TestUser, TestUser, TestUser];
    // Bob accepts first: he is the oldest member when ann's group passes on.
    group = await groupWith(apiA, ann, [bob, cat], "Ann's group");
    dm = (await apiA.post("/api/rooms", { type: "direct", userId: bob.id }, ann.accessToken)).body.room.id;
    const request = await apiA.post("/api/friends/requests", { userId: ann.id }, bob.accessToken);
    expect((await apiA.post(`/api/friends/requests/${request.body.request.id}/accept`, undefined, ann.accessToken)).status).to.equal(200);

    word = `zebra${randomUUID().slice(0, 8)}`;
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 9, g: 9, b: 9 } } }).png().toBuffer();
    const upload = async (user: TestUser) => {
      const res = await apiA.request("POST", `/api/rooms/${group}/attachments`, { token: user.accessToken, raw: fileForm({}, { bytes: png, name: "p.png", type: "image/png" }) });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      return res.body.attachment.id as string;
    };
    // Storage keys are the server's own (not the attachment id): each upload's files are what it added.
    const added = async (work: () => Promise<string>) => {
      const before = new Set(await filesUnder(blobs()));
      const id = await work();
      return { id, files: (await filesUnder(blobs())).filter((f) => !before.has(f)) };
    };
    const annsUpload = await added(() => upload(ann));
    const bobsUpload = await added(() => upload(bob));
    annsMessages = [
      await send(apiA, ann, group, `first ${word}`),
      await send(apiB, ann, group, `with a file ${word}`, [annsUpload.id]),
      await send(apiA, ann, dm, `direct ${word}`),
    ];
    await send(apiA, bob, group, "bob stays");
    await send(apiA, bob, group, "bob's file", [bobsUpload.id]);

    const avatar = await apiA.request("PUT", "/api/me/avatar", { token: ann.accessToken, raw: fileForm({}, { bytes: png, name: "a.png", type: "image/png", field: "avatar" }) });
    expect(avatar.status).to.equal(200);
    const track = await postTrack(apiA, ann, await sineAudio(1), "Ann's song");
    expect(track.status, JSON.stringify(track.body)).to.equal(202);
    await waitForTrack(apiA, ann.accessToken, track.body.track.id);
    const exp = await apiA.post("/api/me/export", undefined, ann.accessToken);
    await eventually(async () => (await apiA.get(`/api/me/exports/${exp.body.export.id}`, ann.accessToken)).body.export.status === "ready", { within: 20_000 });

    const all = await filesUnder(blobs());
    annsFiles = [...annsUpload.files, ...all.filter((f) => f.startsWith(`tracks/${track.body.track.id}/`) || f.startsWith(`exports/${exp.body.export.id}/`) || f.startsWith("avatars/"))];
    bobsFile = bobsUpload.files[0]!;
    expect(annsUpload.files.length, "ann's upload and its thumbnail").to.equal(2);
    expect(annsFiles.filter((f) => f.startsWith("tracks/")).length, "the track's HLS files").to.be.greaterThan(1);
    expect(annsFiles.some((f) => f.startsWith("exports/")), "the export archive").to.equal(true);
    expect(bobsFile).to.be.a("string");
    await eventually(async () => (await search(bob, word)).length === 3, { what: "ann's messages in bob's search" });
  });

  it("refuses a wrong password with 403 and leaves the account whole", async () => {
    expectProblem(await apiB.request("DELETE", "/api/me", { token: ann.accessToken, body: { password: "not ann's password" } }), "FORBIDDEN");
    expect((await apiA.get("/api/me", ann.accessToken)).status).to.equal(200);
    expect((await apiB.get("/api/me", ann.accessToken)).status).to.equal(200);
    expect((await history(bob, group)).filter((m) => m.deletedAt)).to.deep.equal([]);
    expect(await search(bob, word)).to.have.length(3);
    expect(await filesUnder(blobs())).to.include.members(annsFiles);
  });

  it("with the password (retried after the refusal): sockets drop and tokens fail on both nodes within 1 s, history keeps tombstones, search forgets, files go, the group passes on, the email is free", async () => {
    const sockets = [await watched(a, ann), await watched(b, ann)];
    // Bob's socket on the other node, joined to the group: he sees each message turn into a tombstone.
    const bobs: ClientSocket = await connect(b, bob);
    expect((await emitAck(bobs, "room:join", { roomId: group })).ok).to.equal(true);
    const updated = collect(bobs, "message:updated");
    const feed = collect(bobs, "event");
    const seqsBefore = (await history(bob, group)).map((m) => m.seq);

    const res = await apiA.request("DELETE", "/api/me", { token: ann.accessToken, body: { password: ann.password } });
    expect(res.status, JSON.stringify(res.body)).to.equal(204);
    const answeredAt = Date.now();

    // Every node refuses the token, and both sockets were closed by the server, within the bound.
    const closedAt = await Promise.all(sockets.map((s) => s.closed));
    for (const at of closedAt) expect(at - answeredAt).to.be.below(ENDED_EVERYWHERE_WITHIN_MS);
    const relative = (ms: number) => (ms < 0 ? `${-ms} ms before` : `${ms} ms after`);
    console.log(`      ann's sockets closed by the server: on node A ${relative(closedAt[0]! - answeredAt)}, on node B ${relative(closedAt[1]! - answeredAt)} the 204 arrived`);
    await eventually(
      async () => {
        expectProblem(await apiA.get("/api/me", ann.accessToken), "UNAUTHORIZED");
        expectProblem(await apiB.get("/api/me", ann.accessToken), "UNAUTHORIZED");
      },
      { within: ENDED_EVERYWHERE_WITHIN_MS, what: "401 on both nodes" },
    );
    expectProblem(await apiB.post("/api/auth/refresh", { refreshToken: ann.refreshToken }), "UNAUTHORIZED");
    expectProblem(await apiB.post("/api/auth/login", { email: ann.email, password: ann.password }), "UNAUTHORIZED");

    // Bob's history: every seq still there, ann's messages as tombstones that still name her.
    const after = await history(bob, group);
    expect(after.map((m) => m.seq).slice(0, seqsBefore.length)).to.deep.equal(seqsBefore);
    const tombstones = after.filter((m) => m.senderId === ann.id && m.type !== "system");
    expect(tombstones.map((m) => m.seq)).to.deep.equal(annsMessages.slice(0, 2).map((m) => m.seq));
    for (const m of tombstones) expect([m.text, m.attachments, typeof m.deletedAt]).to.deep.equal(["", [], "string"]);
    expect(after.filter((m) => m.senderId === bob.id).map((m) => m.text)).to.deep.equal(["bob stays", "bob's file"]);
    expect(updated.map((m) => m.id)).to.include.members(annsMessages.slice(0, 2).map((m) => m.id));
    const direct = (await history(bob, dm)).find((m) => m.id === annsMessages[2]!.id);
    expect(direct).to.include({ text: "", senderId: ann.id }).and.to.have.property("deletedAt");

    await eventually(async () => expect(await search(bob, word)).to.deep.equal([]), { within: SEARCH_WITHIN_MS, what: "search to drop ann's messages" });

    const files = await filesUnder(blobs());
    expect(files.filter((f) => annsFiles.includes(f)), "ann's files left in storage").to.deep.equal([]);
    expect(files).to.include(bobsFile);

    // The group is bob's now (he joined first), and ann is in no member list.
    const room = await apiB.get(`/api/rooms/${group}`, bob.accessToken);
    expect(room.body.members.map((m: { user: { id: string }; role: string }) => [m.user.id, m.role])).to.deep.equal([
      [bob.id, "owner"],
      [cat.id, "member"],
    ]);
    expectProblem(await apiB.get(`/api/users/${ann.id}`, bob.accessToken), "NOT_FOUND");
    expect((await apiB.get("/api/friends", bob.accessToken)).body.friends).to.deep.equal([]);
    await eventually(() => {
      expect(feed.some((e) => e.type === "friend.updated" && e.data.user.id === ann.id && e.data.friends === false), "friend.updated").to.equal(true);
      expect(feed.some((e) => e.type === "room.updated" && e.data.room.id === group), "room.updated").to.equal(true);
    });

    // The email signs up again, as a new account.
    const again = await apiB.post("/api/auth/signup", { email: ann.email, password: "a new password here", displayName: "Ann again" });
    expect(again.status, JSON.stringify(again.body)).to.equal(201);
    expect(again.body.user.id).to.not.equal(ann.id);
  });
});
