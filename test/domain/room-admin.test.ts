// Room roles and settings (src/domain/room-admin.ts, room-ranks.ts) on the in-memory fakes:
// PROTOCOL.md "Accounts and rooms over their life". Who may act (non-members NOT_FOUND as for no
// room, members and direct rooms FORBIDDEN), PATCH of name and topic, roles, transfer, the owner's
// hand-over on leaving, pins by real admins, and the system message every change leaves.
import { expect } from "chai";
import type { Invalid } from "../../src/domain/errors.js";
import type { Message } from "../../src/domain/message.js";
import { pin } from "../../src/domain/pins.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { setMemberRole, transferRoom, updateRoomSettings } from "../../src/domain/room-admin.js";
import { banUser, listBans, unbanUser } from "../../src/domain/room-bans.js";
import { muteMember, unmuteMember } from "../../src/domain/room-mutes.js";
import { getRoom, leaveRoom } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { direct, group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("room roles and settings (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, dan: UserRecord, eve: UserRecord;
  let team: RoomRecord;

  const roleOf = async (who: UserRecord, roomId = team.id) => (await d.rooms.membership(roomId, who.id))?.role;
  const notices = (roomId = team.id) => (d.broadcaster.roomEvents("message:new", roomId) as Message[]).filter((m) => m.type === "system");

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat, dan, eve] = await users(d, "Ann", "Bob", "Cat", "Dan", "Eve");
    // Ann owns Team; Bob is an admin; Cat and Dan are members; Eve is not in it.
    team = await group(d, ann, [bob, cat, dan]);
    await d.rooms.setRole(team.id, bob.id, "admin");
    d.broadcaster.clear();
    d.feed.clear();
  });

  describe("access", () => {
    // Every admin use case, called by `who` on `roomId` against Dan (a member).
    const calls: [string, "owner" | "moderator", (who: string, roomId: string) => Promise<unknown>][] = [
      ["updateRoomSettings", "moderator", (who, roomId) => updateRoomSettings(d, who, roomId, { name: "New" })],
      ["setMemberRole", "owner", (who, roomId) => setMemberRole(d, who, roomId, dan.id, "admin")],
      ["transferRoom", "owner", (who, roomId) => transferRoom(d, who, roomId, dan.id)],
      ["banUser", "moderator", (who, roomId) => banUser(d, who, roomId, dan.id)],
      ["unbanUser", "moderator", (who, roomId) => unbanUser(d, who, roomId, dan.id)],
      ["listBans", "moderator", (who, roomId) => listBans(d, who, roomId)],
      ["muteMember", "moderator", (who, roomId) => muteMember(d, who, roomId, dan.id, 60)],
      ["unmuteMember", "moderator", (who, roomId) => unmuteMember(d, who, roomId, dan.id)],
    ];

    for (const [name, rank, call] of calls) {
      it(`${name} refuses a non-member with NOT_FOUND, word for word as for a room that does not exist, and changes nothing`, async () => {
        const stranger = await refusal(call(eve.id, team.id), "NOT_FOUND");
        const missing = await refusal(call(eve.id, UNKNOWN_ID), "NOT_FOUND");
        expect(stranger.message).to.equal(missing.message);
        expect(d.broadcaster.count, "nothing broadcast").to.equal(0);
        expect(d.feed.published.length + d.feed.roomChanges.length, "nothing published").to.equal(0);
        expect(await roleOf(dan)).to.equal("member");
      });

      it(`${name} refuses a member without the rank (FORBIDDEN)${rank === "owner" ? ", an admin included" : ""}`, async () => {
        await refusal(call(cat.id, team.id), "FORBIDDEN");
        if (rank === "owner") await refusal(call(bob.id, team.id), "FORBIDDEN");
        expect(d.broadcaster.count).to.equal(0);
        expect(await d.rooms.memberIds(team.id)).to.include(dan.id);
      });

      it(`${name} is FORBIDDEN in a direct room, to either member`, async () => {
        const dm = await direct(d, ann, dan);
        await refusal(call(ann.id, dm.id), "FORBIDDEN");
        await refusal(call(dan.id, dm.id), "FORBIDDEN");
        expect(await d.rooms.memberIds(dm.id)).to.have.members([ann.id, dan.id]);
      });
    }
  });

  describe("PATCH: name and topic", () => {
    it("an admin renames the room and sets its topic: one system message by the admin, every member told", async () => {
      const room = await updateRoomSettings(d, bob.id, team.id, { name: "  Crew ", topic: " Ship it " });
      expect(room).to.include({ id: team.id, name: "Crew", topic: "Ship it", role: "admin" });
      expect(await d.rooms.find(team.id)).to.include({ name: "Crew", topic: "Ship it" });
      const [notice, ...more] = notices();
      expect(more).to.deep.equal([]);
      expect(notice).to.include({ type: "system", senderId: bob.id, clientMsgId: null, text: 'renamed the room to "Crew" and set the topic to "Ship it"' });
      expect(await d.messages.get(team.id, notice!.seq)).to.include({ type: "system", senderId: bob.id });
      expect(d.feed.usersToldOf(team.id)).to.deep.equal([ann.id, bob.id, cat.id, dan.id].sort());
      expect(d.hooks.stored.map((m) => m.seq)).to.deep.equal([notice!.seq]);
      // Every member sees the topic in their view of the room.
      expect((await getRoom(d, cat.id, team.id)).room.topic).to.equal("Ship it");
    });

    it("a field left out stays; null or an empty topic clears it", async () => {
      await updateRoomSettings(d, ann.id, team.id, { topic: "First" });
      expect(await updateRoomSettings(d, ann.id, team.id, { topic: null })).to.include({ name: "Team", topic: null });
      await updateRoomSettings(d, ann.id, team.id, { topic: "Again" });
      expect(await updateRoomSettings(d, ann.id, team.id, { topic: "   " })).to.include({ topic: null });
      expect(notices().map((m) => m.text)).to.deep.equal(['set the topic to "First"', "cleared the topic", 'set the topic to "Again"', "cleared the topic"]);
    });

    it("a patch that changes nothing (empty, or the same values) leaves no notice", async () => {
      await updateRoomSettings(d, ann.id, team.id, {});
      await updateRoomSettings(d, ann.id, team.id, { name: "Team", topic: null });
      expect(notices()).to.deep.equal([]);
      expect(d.feed.roomChanges).to.deep.equal([]);
    });

    it("refuses a blank or over-long name, and an over-long topic (VALIDATION naming the field)", async () => {
      const paths = async (patch: { name?: string; topic?: string }) => ((await refusal(updateRoomSettings(d, ann.id, team.id, patch), "VALIDATION")) as Invalid).errors.map((e) => e.path);
      expect(await paths({ name: "  " })).to.deep.equal(["name"]);
      expect(await paths({ name: "x".repeat(101) })).to.deep.equal(["name"]);
      expect(await paths({ topic: "x".repeat(501) })).to.deep.equal(["topic"]);
      expect(await d.rooms.find(team.id)).to.include({ name: "Team", topic: null });
    });

    it("a direct room's view carries a null topic", async () => {
      const dm = await direct(d, ann, dan);
      expect((await getRoom(d, ann.id, dm.id)).room.topic).to.equal(null);
    });
  });

  describe("roles", () => {
    it("the owner makes a member an admin and back: each change is a notice by the owner, every member told", async () => {
      const room = await setMemberRole(d, ann.id, team.id, cat.id, "admin");
      expect(room).to.include({ id: team.id, role: "owner" });
      expect(await roleOf(cat)).to.equal("admin");
      await setMemberRole(d, ann.id, team.id, cat.id, "member");
      expect(await roleOf(cat)).to.equal("member");
      expect(notices().map((m) => [m.senderId, m.text])).to.deep.equal([
        [ann.id, "made Cat an admin"],
        [ann.id, "made Cat a member"],
      ]);
      expect(d.feed.usersToldOf(team.id)).to.deep.equal([ann.id, bob.id, cat.id, dan.id].sort());
      // The member sees their new role in the room's view.
      expect((await getRoom(d, cat.id, team.id)).members.find((m) => m.user.id === cat.id)?.role).to.equal("member");
    });

    it("setting the role a member already has is a no-op without a notice", async () => {
      await setMemberRole(d, ann.id, team.id, bob.id, "admin");
      await setMemberRole(d, ann.id, team.id, cat.id, "member");
      expect(notices()).to.deep.equal([]);
    });

    it("the owner cannot set their own role (VALIDATION: transfer instead); a non-member target is NOT_FOUND", async () => {
      const self = await refusal(setMemberRole(d, ann.id, team.id, ann.id, "member"), "VALIDATION");
      expect(self.message).to.match(/transfer/);
      await refusal(setMemberRole(d, ann.id, team.id, eve.id, "admin"), "NOT_FOUND");
      await refusal(setMemberRole(d, ann.id, team.id, UNKNOWN_ID, "admin"), "NOT_FOUND");
      expect(await roleOf(ann)).to.equal("owner");
    });

    it("an admin pins in a group, as the owner does; a member is refused", async () => {
      await messagesIn(d, team.id, cat, 2);
      expect(await pin(d, bob.id, { roomId: team.id, seq: 1 }, true)).to.include({ pinnedBy: bob.id });
      await refusal(pin(d, cat.id, { roomId: team.id, seq: 2 }, true), "FORBIDDEN");
      // Made an admin, Cat may pin; made a member again, not any more.
      await setMemberRole(d, ann.id, team.id, cat.id, "admin");
      expect(await pin(d, cat.id, { roomId: team.id, seq: 2 }, true)).to.include({ pinnedBy: cat.id });
      await setMemberRole(d, ann.id, team.id, cat.id, "member");
      await refusal(pin(d, cat.id, { roomId: team.id, seq: 2 }, false), "FORBIDDEN");
    });
  });

  describe("transfer", () => {
    it("hands the room to a member: they become owner, the old owner an admin; one notice, every member told", async () => {
      const room = await transferRoom(d, ann.id, team.id, cat.id);
      expect(room).to.include({ id: team.id, role: "admin" });
      expect([await roleOf(ann), await roleOf(cat)]).to.deep.equal(["admin", "owner"]);
      expect(notices().map((m) => [m.senderId, m.text])).to.deep.equal([[ann.id, "handed ownership to Cat"]]);
      expect(d.feed.usersToldOf(team.id)).to.deep.equal([ann.id, bob.id, cat.id, dan.id].sort());
      // The old owner is an admin now: the new owner outranks them, and they no longer set roles.
      await refusal(setMemberRole(d, ann.id, team.id, dan.id, "admin"), "FORBIDDEN");
      await setMemberRole(d, cat.id, team.id, ann.id, "member");
      expect(await roleOf(ann)).to.equal("member");
    });

    it("to an admin too; to oneself is VALIDATION, to a non-member NOT_FOUND", async () => {
      await transferRoom(d, ann.id, team.id, bob.id);
      expect(await roleOf(bob)).to.equal("owner");
      await refusal(transferRoom(d, bob.id, team.id, bob.id), "VALIDATION");
      await refusal(transferRoom(d, bob.id, team.id, eve.id), "NOT_FOUND");
      expect(await roleOf(bob)).to.equal("owner");
    });
  });

  describe("the owner leaving", () => {
    it("hands the room to the oldest admin, leaving a notice by the leaver", async () => {
      await setMemberRole(d, ann.id, team.id, dan.id, "admin");
      d.broadcaster.clear();
      await leaveRoom(d, ann.id, team.id);
      // Bob and Dan are admins; Bob joined first.
      expect(await roleOf(bob)).to.equal("owner");
      expect(await roleOf(dan)).to.equal("admin");
      expect(await d.rooms.memberIds(team.id)).to.have.members([bob.id, cat.id, dan.id]);
      expect(notices().map((m) => [m.senderId, m.text])).to.deep.equal([[ann.id, "left and handed ownership to Bob"]]);
      expect(d.feed.typesFor(ann.id)).to.deep.equal(["room.removed"]);
    });

    it("without admins, to the oldest member", async () => {
      await setMemberRole(d, ann.id, team.id, bob.id, "member");
      await leaveRoom(d, ann.id, team.id);
      expect(await roleOf(bob)).to.equal("owner");
      expect([await roleOf(cat), await roleOf(dan)]).to.deep.equal(["member", "member"]);
    });

    it("the last one out leaves the room empty, with no owner and no notice", async () => {
      const solo = await group(d, ann, [], "Solo");
      await leaveRoom(d, ann.id, solo.id);
      expect(await d.rooms.memberIds(solo.id)).to.deep.equal([]);
      expect(notices(solo.id)).to.deep.equal([]);
    });

    it("anyone else leaving hands nothing over", async () => {
      await leaveRoom(d, bob.id, team.id);
      await leaveRoom(d, cat.id, team.id);
      expect(await roleOf(ann)).to.equal("owner");
      expect(await roleOf(dan)).to.equal("member");
      expect(notices()).to.deep.equal([]);
    });
  });
});
