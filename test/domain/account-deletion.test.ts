// Deleting one's own account (src/domain/account-deletion.ts; docs/accounts.md) on the in-memory
// fakes: what goes, what stays, and that a failure midway leaves an account the retry finishes.
import { expect } from "chai";
import { deleteAccount, type AccountDeletionDeps } from "../../src/domain/account-deletion.js";
import type { Message } from "../../src/domain/message.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { MemoryAccountExportRepository } from "../fakes/memory-account-export-repository.js";
import { MemoryPlaylistRepository } from "../fakes/memory-playlist-repository.js";
import { MemoryTrackRepository } from "../fakes/memory-track-repository.js";
import { direct, group, messagesIn, refusal, users } from "../fakes/scenario.js";

const PASSWORD = "correct horse battery";

describe("account deletion (DELETE /api/me)", () => {
  let d: FakeDeps;
  let deps: AccountDeletionDeps & { tracks: MemoryTrackRepository; playlists: MemoryPlaylistRepository; exports: MemoryAccountExportRepository };
  let ann: UserRecord;
  let bob: UserRecord;
  let cat: UserRecord;
  let caller: { userId: string; sessionId: string };
  let otherDevice: string;
  let owned: string;
  let bobsRoom: string;
  let dm: string;

  beforeEach(async () => {
    d = fakeDeps();
    ann = await d.users.add({ displayName: "Ann", email: "ann@example.test", passwordHash: await d.hasher.hash(PASSWORD) });
    ann = await d.users.update(ann.id, { avatarKey: `${ann.id}-0123456789abcdef.png` });
    [bob, cat] = await users(d, "Bob", "Cat");
    await d.blobs.put(`avatars/${ann.avatarKey}`, Buffer.from("png"));

    caller = { userId: ann.id, sessionId: (await d.sessions.create(ann.id, "h1", new Date(Date.now() + 3_600_000))).id };
    otherDevice = (await d.sessions.create(ann.id, "h2", new Date(Date.now() + 3_600_000))).id;

    // Bob joined ann's group before Cat: he is the oldest member, and inherits it.
    owned = (await group(d, ann, [bob, cat], "Ann's")).id;
    bobsRoom = (await group(d, bob, [ann], "Bob's")).id;
    dm = (await direct(d, ann, bob)).id;
    const request = await d.friends.createRequest(bob.id, ann.id);
    await d.friends.respond(request.id, "accepted", d.clock.now());

    deps = {
      ...d,
      attachmentFiles: d.attachmentRepo,
      tracks: new MemoryTrackRepository(d.clock),
      playlists: new MemoryPlaylistRepository(d.clock),
      exports: new MemoryAccountExportRepository(d.clock),
    };
  });

  /** A file uploaded to a room, bytes in the blob store. */
  async function upload(owner: UserRecord, roomId: string, withThumbnail = false) {
    const id = `00000006-0000-7000-8000-${String(d.attachmentRepo.records.size + 1).padStart(12, "0")}`;
    const storageKey = `attachments/${roomId}/${id}`;
    await d.blobs.put(storageKey, Buffer.from("bytes"));
    const thumbnailKey = withThumbnail ? `${storageKey}.thumb.webp` : null;
    if (thumbnailKey) await d.blobs.put(thumbnailKey, Buffer.from("thumb"));
    return d.attachmentRepo.create({ id, roomId, uploaderId: owner.id, name: "a.txt", size: 5, contentType: "text/plain", storageKey, thumbnailKey });
  }

  const history = async (roomId: string): Promise<Message[]> => (await d.messages.page(roomId, { after: 0, limit: 1000 })).messages;

  it("refuses a wrong password with FORBIDDEN (the token is good) and changes nothing, counting a failed login", async () => {
    await messagesIn(d, owned, ann, 3);
    await refusal(deleteAccount(deps, caller, "not the password"), "FORBIDDEN");
    expect(await d.users.findById(ann.id)).to.not.equal(null);
    expect(await d.sessions.isLive(caller.sessionId, ann.id)).to.equal(true);
    expect(await d.sessions.isLive(otherDevice, ann.id)).to.equal(true);
    expect((await history(owned)).every((m) => !m.deletedAt)).to.equal(true);
    expect(await d.rooms.isMember(owned, ann.id)).to.equal(true);
    expect(d.loginFailures.consumed(ann.email)).to.equal(1);
  });

  it("keeps every message as a tombstone (senderId and seq kept, text gone), tells search and the room, and leaves others' messages alone", async () => {
    await messagesIn(d, owned, ann, 2);
    await messagesIn(d, owned, bob, 1);
    await messagesIn(d, dm, ann, 1);
    // A room ann already left still holds her messages.
    await messagesIn(d, bobsRoom, ann, 1);
    await d.rooms.removeMember(bobsRoom, ann.id);

    await deleteAccount(deps, caller, PASSWORD);

    const all = [...(await history(owned)), ...(await history(dm)), ...(await history(bobsRoom))];
    const anns = all.filter((m) => m.senderId === ann.id && m.type !== "system");
    expect(anns).to.have.length(4);
    for (const m of anns) expect([m.text, m.attachments, Boolean(m.deletedAt)]).to.deep.equal(["", [], true]);
    expect(all.filter((m) => m.senderId === bob.id).map((m) => m.text)).to.deep.equal(["m1"]);
    expect((await history(owned)).map((m) => m.seq)).to.deep.equal([1, 2, 3, 4]);
    expect(d.hooks.changed.map((m) => m.id).sort()).to.deep.equal(anns.map((m) => m.id).sort());
    expect(d.broadcaster.roomEvents("message:updated").map((m) => (m as Message).id).sort()).to.deep.equal(anns.map((m) => m.id).sort());
  });

  it("pages through many messages in several rooms", async () => {
    for (const roomId of [owned, dm, bobsRoom]) await messagesIn(d, roomId, ann, 170);
    await deleteAccount(deps, caller, PASSWORD);
    for (const roomId of [owned, dm, bobsRoom]) {
      expect((await history(roomId)).filter((m) => m.senderId === ann.id && m.type !== "system" && !m.deletedAt)).to.deep.equal([]);
    }
  });

  it("hands an owned group to its oldest member, leaves every room, and tells the members who stay", async () => {
    await deleteAccount(deps, caller, PASSWORD);
    expect((await d.rooms.membership(owned, bob.id))?.role).to.equal("owner");
    expect((await d.rooms.membership(owned, cat.id))?.role).to.equal("member");
    expect(await d.rooms.roomsOf(ann.id)).to.deep.equal([]);
    expect(d.feed.usersToldOf(owned)).to.include.members([bob.id, cat.id]);
    expect(d.feed.usersToldOf(bobsRoom)).to.include(bob.id);
    expect(d.broadcaster.detached.filter((x) => x.userId === ann.id).map((x) => x.roomId).sort()).to.deep.equal([owned, bobsRoom, dm].sort());
  });

  it("removes the files (attachments with thumbnails, tracks, playlists, exports, avatar) and keeps other people's", async () => {
    const mine = await upload(ann, owned, true);
    const bobs = await upload(bob, owned);
    const track = deps.tracks.add(ann.id);
    await d.blobs.put(`tracks/${track.id}/hls/index.m3u8`, Buffer.from("#EXTM3U"));
    const bobsTrack = deps.tracks.add(bob.id);
    await deps.playlists.create(ann.id, "Mine", [track.id]);
    await deps.playlists.create(bob.id, "Bob's", [bobsTrack.id]);
    const exp = (await deps.exports.createPending(ann.id)).record;
    await d.blobs.put(`exports/${exp.id}/t.ndjson`, Buffer.from("{}"));

    await deleteAccount(deps, caller, PASSWORD);

    expect([...d.blobs.blobs.keys()].sort()).to.deep.equal([bobs.storageKey]);
    expect([...d.attachmentRepo.records.keys()]).to.deep.equal([bobs.id]);
    expect([...deps.tracks.tracks.keys()]).to.deep.equal([bobsTrack.id]);
    expect((await deps.playlists.listOwned(ann.id)).length).to.equal(0);
    expect((await deps.playlists.listOwned(bob.id)).length).to.equal(1);
    expect(await deps.exports.listOf(ann.id)).to.deep.equal([]);
    expect(mine.uploaderId).to.equal(ann.id);
  });

  it("ends every session, then removes the account (the email can sign up again), and tells friends", async () => {
    await deleteAccount(deps, caller, PASSWORD);
    expect(await d.users.findById(ann.id)).to.equal(null);
    expect(await d.sessions.isLive(caller.sessionId, ann.id)).to.equal(false);
    expect(await d.sessions.isLive(otherDevice, ann.id)).to.equal(false);
    // Announced revoked (the cached adapter tells every node): the other device first, then, once
    // the account is gone, every session that went with it, the caller's included.
    expect(d.sessions.revocations[0]).to.equal(otherDevice);
    expect(d.sessions.revocations.slice(1)).to.include.members([caller.sessionId, otherDevice]);
    expect(await d.users.create({ email: ann.email, passwordHash: "x", displayName: "New Ann" })).to.include({ email: ann.email });
    const told = d.feed.eventsOf(bob.id).filter((e) => e.type === "friend.updated");
    expect(told).to.have.length(1);
    expect(told[0]!.data).to.deep.include({ friends: false });
    expect((told[0]!.data.user as { id: string; avatarUrl: string | null; email?: string })).to.deep.include({ id: ann.id, avatarUrl: null }).and.not.have.property("email");
  });

  it("leaves a usable account when a step fails midway, and a retry with the same session completes", async () => {
    await messagesIn(d, owned, ann, 3);
    await upload(ann, owned);
    d.blobs.failNextDeletes(new Error("storage is down"));
    let failed: unknown;
    await deleteAccount(deps, caller, PASSWORD).catch((err: unknown) => (failed = err));
    expect((failed as Error | undefined)?.message).to.equal("storage is down");
    // Usable: the account, its password, the caller's session and its rooms are still there.
    expect(await d.users.findById(ann.id)).to.not.equal(null);
    expect(await d.sessions.isLive(caller.sessionId, ann.id)).to.equal(true);
    expect(await d.rooms.isMember(owned, ann.id)).to.equal(true);

    await deleteAccount(deps, caller, PASSWORD);
    expect(await d.users.findById(ann.id)).to.equal(null);
    expect(d.attachmentRepo.records.size).to.equal(0);
    expect((await history(owned)).filter((m) => m.senderId === ann.id && m.type !== "system").every((m) => m.deletedAt)).to.equal(true);
    // The retry found the tombstones made by the first run and wrote none of them again.
    expect(d.hooks.changed).to.have.length(3);
  });

  it("answers UNAUTHORIZED once the account is gone (a token that outlived it)", async () => {
    await deleteAccount(deps, caller, PASSWORD);
    await refusal(deleteAccount(deps, caller, PASSWORD), "UNAUTHORIZED");
  });
});
