// Bans (src/domain/room-bans.ts) on the in-memory fakes: PROTOCOL.md "Accounts and rooms over their
// life". Ranks (one bans only lower ranks), the removal through the one removal path, what a ban
// refuses (invite, accepting an invite, send: FORBIDDEN, the one non-member told the room exists),
// idempotency both ways, the list, and the notices.
import { expect } from "chai";
import type { Invalid } from "../../src/domain/errors.js";
import { answerInvite, inviteToRoom, listInvites } from "../../src/domain/invites.js";
import type { Message } from "../../src/domain/message.js";
import { sendMessage } from "../../src/domain/messages.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { BANNED, banUser, listBans, unbanUser } from "../../src/domain/room-bans.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, refusal, users } from "../fakes/scenario.js";

describe("room bans (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, dan: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  let sends = 0;

  const send = (who: UserRecord, roomId = team.id) => sendMessage(d, who.id, { roomId, clientMsgId: `c-${++sends}`, text: "hi" });
  const notices = () => (d.broadcaster.roomEvents("message:new", team.id) as Message[]).filter((m) => m.type === "system");

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat, dan, eve] = await users(d, "Ann", "Bob", "Cat", "Dan", "Eve");
    // Ann owns Team; Bob and Cat are admins; Dan is a member; Eve is not in it.
    team = await group(d, ann, [bob, cat, dan]);
    await d.rooms.setRole(team.id, bob.id, "admin");
    await d.rooms.setRole(team.id, cat.id, "admin");
    d.broadcaster.clear();
    d.feed.clear();
  });

  describe("ranks", () => {
    it("an admin cannot ban the owner or another admin (FORBIDDEN); nobody bans themselves (VALIDATION)", async () => {
      await refusal(banUser(d, bob.id, team.id, ann.id), "FORBIDDEN");
      await refusal(banUser(d, bob.id, team.id, cat.id), "FORBIDDEN");
      const self = (await refusal(banUser(d, bob.id, team.id, bob.id), "VALIDATION")) as Invalid;
      expect(self.errors.map((e) => e.path)).to.deep.equal(["userId"]);
      await refusal(banUser(d, ann.id, team.id, ann.id), "VALIDATION");
      expect(await d.rooms.memberIds(team.id)).to.have.members([ann.id, bob.id, cat.id, dan.id]);
      expect(await d.rooms.bans(team.id)).to.deep.equal([]);
    });

    it("the owner bans an admin; an admin bans a member; anyone not in the room may be banned ahead", async () => {
      await banUser(d, ann.id, team.id, cat.id);
      await banUser(d, bob.id, team.id, dan.id);
      await banUser(d, bob.id, team.id, eve.id);
      expect((await d.rooms.bans(team.id)).map((b) => [b.userId, b.bannedBy])).to.deep.equal([
        [cat.id, ann.id],
        [dan.id, bob.id],
        [eve.id, bob.id],
      ]);
    });

    it("an unknown user is NOT_FOUND; an over-long reason VALIDATION", async () => {
      await refusal(banUser(d, ann.id, team.id, UNKNOWN_ID), "NOT_FOUND");
      await refusal(banUser(d, ann.id, team.id, dan.id, "x".repeat(501)), "VALIDATION");
      expect(await d.rooms.bans(team.id)).to.deep.equal([]);
    });
  });

  describe("banning", () => {
    it("removes the member through the removal path: sockets detached, room.removed for them, room.updated for the rest, a notice by the admin", async () => {
      const ban = await banUser(d, bob.id, team.id, dan.id, "  spam  ");
      expect(ban).to.deep.include({ userId: dan.id, bannedBy: bob.id, reason: "spam" });
      expect(Number.isNaN(Date.parse(ban.createdAt))).to.equal(false);
      expect(await d.rooms.memberIds(team.id)).to.not.include(dan.id);
      expect(d.broadcaster.detached).to.deep.equal([{ userId: dan.id, roomId: team.id }]);
      expect(d.feed.typesFor(dan.id)).to.deep.equal(["room.removed"]);
      expect(d.feed.usersToldOf(team.id)).to.deep.equal([ann.id, bob.id, cat.id].sort());
      // The room is told who, not why: the reason is for the owner and admins.
      expect(notices().map((m) => [m.senderId, m.text])).to.deep.equal([[bob.id, "banned Dan"]]);
    });

    it("is idempotent: banning again answers the first ban and leaves no second notice", async () => {
      const first = await banUser(d, bob.id, team.id, dan.id, "spam");
      const again = await banUser(d, ann.id, team.id, dan.id, "other");
      expect(again).to.deep.equal(first);
      expect(notices()).to.have.length(1);
      expect(await listBans(d, ann.id, team.id)).to.deep.equal([first]);
    });

    it("a ban whose removal did not happen (a retry after a failure) removes the member the second time", async () => {
      await d.rooms.ban(team.id, dan.id, ann.id, "", d.clock.now());
      expect(await d.rooms.memberIds(team.id)).to.include(dan.id);
      await banUser(d, ann.id, team.id, dan.id);
      expect(await d.rooms.memberIds(team.id)).to.not.include(dan.id);
      expect(d.feed.typesFor(dan.id)).to.deep.equal(["room.removed"]);
    });

    it("refuses the banned user's sends with FORBIDDEN, unlike anyone else not in the room (NOT_FOUND)", async () => {
      await banUser(d, ann.id, team.id, dan.id);
      expect((await refusal(send(dan), "FORBIDDEN")).message).to.equal(BANNED);
      await refusal(send(eve), "NOT_FOUND");
      expect(d.broadcaster.roomEvents("message:new", team.id).filter((m) => (m as Message).type !== "system")).to.deep.equal([]);
    });

    it("refuses inviting the banned user (FORBIDDEN for the whole request, no invite made)", async () => {
      await banUser(d, ann.id, team.id, eve.id);
      await refusal(inviteToRoom(d, dan.id, team.id, [eve.id]), "FORBIDDEN");
      const [stranger] = await users(d, "Fay");
      await refusal(inviteToRoom(d, dan.id, team.id, [stranger!.id, eve.id]), "FORBIDDEN");
      expect(await listInvites(d, eve.id)).to.deep.equal([]);
      expect(await listInvites(d, stranger!.id)).to.deep.equal([]);
    });

    it("cancels a pending invite (the invitee told) and refuses accepting it with FORBIDDEN; declining is a plain conflict", async () => {
      const [invite] = await inviteToRoom(d, dan.id, team.id, [eve.id]);
      d.feed.clear();
      await banUser(d, ann.id, team.id, eve.id);
      expect(await listInvites(d, eve.id)).to.deep.equal([]);
      const told = d.feed.eventsOf(eve.id);
      expect(told.map((e) => e.type)).to.deep.equal(["invite.updated"]);
      expect(told[0]!.data).to.deep.include({ room: null });
      expect((told[0]!.data as { invite: { status: string } }).invite.status).to.equal("canceled");
      expect((await refusal(answerInvite(d, eve.id, invite!.id, "accepted"), "FORBIDDEN")).message).to.equal(BANNED);
      await refusal(answerInvite(d, eve.id, invite!.id, "declined"), "CONFLICT");
      expect(await d.rooms.memberIds(team.id)).to.not.include(eve.id);
    });

    it("refuses accepting a pending invite that slipped in beside the ban (made while the ban was written)", async () => {
      await d.rooms.ban(team.id, eve.id, ann.id, "", d.clock.now());
      // Straight in the store: the invite check had passed before the ban existed.
      const invite = (await d.rooms.createInvites(team.id, dan.id, [eve.id]))[0]!.invite;
      expect((await listInvites(d, eve.id)).map((i) => i.id)).to.deep.equal([invite.id]);
      await refusal(answerInvite(d, eve.id, invite.id, "accepted"), "FORBIDDEN");
      expect(await d.rooms.memberIds(team.id)).to.not.include(eve.id);
    });
  });

  describe("unbanning and the list", () => {
    it("lists bans oldest first to the owner and admins only", async () => {
      await banUser(d, ann.id, team.id, dan.id, "spam");
      await banUser(d, bob.id, team.id, eve.id);
      const bans = await listBans(d, cat.id, team.id);
      expect(bans.map((b) => [b.userId, b.bannedBy, b.reason])).to.deep.equal([
        [dan.id, ann.id, "spam"],
        [eve.id, bob.id, ""],
      ]);
      expect(Object.keys(bans[0]!).sort()).to.deep.equal(["bannedBy", "createdAt", "reason", "userId"]);
    });

    it("an unban lets the user be invited and join again, with a notice; unbanning again is a no-op", async () => {
      await banUser(d, ann.id, team.id, dan.id);
      await unbanUser(d, bob.id, team.id, dan.id);
      await unbanUser(d, bob.id, team.id, dan.id);
      await unbanUser(d, bob.id, team.id, UNKNOWN_ID);
      expect(notices().map((m) => [m.senderId, m.text])).to.deep.equal([
        [ann.id, "banned Dan"],
        [bob.id, "lifted the ban on Dan"],
      ]);
      // Not let back in by the unban itself.
      expect(await d.rooms.memberIds(team.id)).to.not.include(dan.id);
      const [invite] = await inviteToRoom(d, cat.id, team.id, [dan.id]);
      await answerInvite(d, dan.id, invite!.id, "accepted");
      expect((await send(dan)).created).to.equal(true);
    });
  });
});
