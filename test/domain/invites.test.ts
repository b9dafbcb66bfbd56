// Group rooms and invites (src/domain/invites.ts) on the in-memory fakes: who may invite whom,
// and the invite state machine (pending -> accepted | declined, answered once, by the invitee).
import { expect } from "chai";
import { answerInvite, createGroupRoom, inviteToRoom, listInvites } from "../../src/domain/invites.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { GROUP_INVITES_MAX, leaveRoom, ROOM_NAME_MAX } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { direct, group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("invites (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, dan: UserRecord, eve: UserRecord;
  let team: RoomRecord;

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat, dan, eve] = await users(d, "Ann", "Bob", "Cat", "Dan", "Eve");
    team = await group(d, ann, [bob]);
  });

  describe("access", () => {
    it("a non-member cannot invite: NOT_FOUND, as for a room that does not exist, and no invite is made", async () => {
      const stranger = await refusal(inviteToRoom(d, eve.id, team.id, [cat.id]), "NOT_FOUND");
      const missing = await refusal(inviteToRoom(d, eve.id, UNKNOWN_ID, [cat.id]), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
      expect(await listInvites(d, cat.id)).to.deep.equal([]);
      expect(d.feed.published).to.deep.equal([]);
    });

    it("only the invitee may answer: to anyone else, the inviter included, the invite does not exist", async () => {
      const [invite] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      for (const who of [ann, bob, eve]) await refusal(answerInvite(d, who.id, invite!.id, "accepted"), "NOT_FOUND");
      await refusal(answerInvite(d, cat.id, UNKNOWN_ID, "accepted"), "NOT_FOUND");
      expect((await d.rooms.findInvite(invite!.id))?.status).to.equal("pending");
      expect(await d.rooms.isMember(team.id, eve.id)).to.equal(false);
    });

    it("a member who left can no longer invite", async () => {
      await leaveRoom(d, bob.id, team.id);
      await refusal(inviteToRoom(d, bob.id, team.id, [cat.id]), "NOT_FOUND");
    });
  });

  describe("creating a group", () => {
    it("makes the creator its owner, invites the others and tells each invitee invite.created with a preview", async () => {
      const room = await createGroupRoom(d, ann.id, { name: "  Book club  ", memberIds: [cat.id, dan.id] });
      expect(room).to.include({ type: "group", name: "Book club", memberCount: 1, lastSeq: 0, unreadCount: 0 });
      expect((await d.rooms.membership(room.id, ann.id))?.role).to.equal("owner");
      expect(await d.rooms.memberIds(room.id), "invitees are not members yet").to.deep.equal([ann.id]);
      for (const who of [cat, dan]) {
        const [event] = d.feed.eventsOf(who.id);
        expect(event?.type).to.equal("invite.created");
        const data = d.feed.eventsOfType(who.id, "invite.created")[0]?.data;
        expect(data?.invite).to.include({ roomId: room.id, inviterId: ann.id, inviteeId: who.id, status: "pending" });
        expect(data?.room).to.include({ id: room.id, name: "Book club", unreadCount: 0, lastReadSeq: 0 });
      }
      expect(d.feed.roomChanges).to.deep.equal([{ roomId: room.id, userIds: [ann.id] }]);
    });

    it("does not invite the creator, and invites a user listed twice once", async () => {
      const room = await createGroupRoom(d, ann.id, { name: "G", memberIds: [ann.id, cat.id, cat.id] });
      expect((await d.rooms.pendingInvites(cat.id)).map((i) => i.roomId)).to.deep.equal([room.id]);
      expect(await d.rooms.pendingInvites(ann.id)).to.deep.equal([]);
      expect(d.feed.typesFor(cat.id)).to.deep.equal(["invite.created"]);
    });

    it(`a name that is blank or over ${ROOM_NAME_MAX} characters is VALIDATION, and no room is made`, async () => {
      await refusal(createGroupRoom(d, ann.id, { name: "   ", memberIds: [] }), "VALIDATION");
      await refusal(createGroupRoom(d, ann.id, { name: "x".repeat(ROOM_NAME_MAX + 1), memberIds: [] }), "VALIDATION");
      expect(await createGroupRoom(d, ann.id, { name: "x".repeat(ROOM_NAME_MAX), memberIds: [] })).to.have.property("name").with.length(ROOM_NAME_MAX);
      expect((await d.rooms.roomsOf(ann.id)).length).to.equal(2);
    });

    it("an invitee who does not exist is NOT_FOUND", async () => {
      await refusal(createGroupRoom(d, ann.id, { name: "G", memberIds: [cat.id, UNKNOWN_ID] }), "NOT_FOUND");
      expect(await d.rooms.pendingInvites(cat.id), "nobody is invited").to.deep.equal([]);
    });

    it("a refused group creation (unknown invitee, too many invitees) leaves no room behind", async () => {
      await refusal(createGroupRoom(d, ann.id, { name: "G", memberIds: [UNKNOWN_ID] }), "NOT_FOUND");
      expect((await d.rooms.roomsOf(ann.id)).map((r) => r.room.id)).to.deep.equal([team.id]);
    });
  });

  describe("inviting", () => {
    it("any member, not only the owner, may invite", async () => {
      const [invite] = await inviteToRoom(d, bob.id, team.id, [cat.id]);
      expect(invite).to.include({ roomId: team.id, inviterId: bob.id, inviteeId: cat.id, status: "pending" });
    });

    it("an invite to a member is skipped: no invite, no event", async () => {
      const result = await inviteToRoom(d, ann.id, team.id, [bob.id, cat.id]);
      expect(result.map((i) => i.inviteeId)).to.deep.equal([cat.id]);
      expect(await d.rooms.pendingInvites(bob.id)).to.deep.equal([]);
      expect(d.feed.typesFor(bob.id)).to.deep.equal([]);
    });

    it("inviting oneself is skipped", async () => {
      expect(await inviteToRoom(d, ann.id, team.id, [ann.id])).to.deep.equal([]);
    });

    it("a second invite while one is pending returns the first as it is and tells nobody again", async () => {
      const [first] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      const [again] = await inviteToRoom(d, bob.id, team.id, [cat.id]);
      expect(again).to.deep.equal(first);
      expect(d.feed.typesFor(cat.id)).to.deep.equal(["invite.created"]);
      expect(await listInvites(d, cat.id)).to.have.length(1);
    });

    it("a direct room takes no invites: VALIDATION", async () => {
      const dm = await direct(d, ann, bob);
      const err = await refusal(inviteToRoom(d, ann.id, dm.id, [cat.id]), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "roomId");
    });

    it("an invitee who does not exist is NOT_FOUND and nobody is invited", async () => {
      await refusal(inviteToRoom(d, ann.id, team.id, [cat.id, UNKNOWN_ID]), "NOT_FOUND");
      expect(await listInvites(d, cat.id)).to.deep.equal([]);
    });

    it(`more than ${GROUP_INVITES_MAX} invitees at once is VALIDATION`, async () => {
      const many = await users(d, ...Array.from({ length: GROUP_INVITES_MAX + 1 }, (_, i) => `U${i}`));
      await refusal(inviteToRoom(d, ann.id, team.id, many.map((u) => u.id)), "VALIDATION");
      expect((await inviteToRoom(d, ann.id, team.id, many.slice(1).map((u) => u.id))).length).to.equal(GROUP_INVITES_MAX);
    });

    it("lists the user's pending invites only, newest first", async () => {
      const other = await group(d, dan, [], "Other");
      const [first] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      const [second] = await inviteToRoom(d, dan.id, other.id, [cat.id]);
      expect((await listInvites(d, cat.id)).map((i) => i.id)).to.deep.equal([second!.id, first!.id]);
      await answerInvite(d, cat.id, second!.id, "declined");
      expect((await listInvites(d, cat.id)).map((i) => i.id)).to.deep.equal([first!.id]);
    });
  });

  describe("answering", () => {
    it("accepting makes the invitee a member and returns the room as they now see it", async () => {
      await messagesIn(d, team.id, ann, 3);
      const [invite] = await inviteToRoom(d, bob.id, team.id, [cat.id]);
      d.feed.clear();
      const answered = await answerInvite(d, cat.id, invite!.id, "accepted");
      expect(answered.invite).to.include({ id: invite!.id, status: "accepted" });
      expect(answered.room).to.include({ id: team.id, memberCount: 3, lastSeq: 3, unreadCount: 3 });
      expect((await d.rooms.membership(team.id, cat.id))?.role).to.equal("member");
      // invite.updated to the invitee and the inviter, then every member's room changed.
      expect(d.feed.published.map((p) => [p.userId, p.event.type])).to.deep.equal([
        [cat.id, "invite.updated"],
        [bob.id, "invite.updated"],
      ]);
      expect(d.feed.roomChanges).to.deep.equal([{ roomId: team.id, userIds: [ann.id, bob.id, cat.id] }]);
    });

    it("answering an invite twice is a CONFLICT, whatever the second answer", async () => {
      const [invite] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      await answerInvite(d, cat.id, invite!.id, "accepted");
      await refusal(answerInvite(d, cat.id, invite!.id, "accepted"), "CONFLICT");
      await refusal(answerInvite(d, cat.id, invite!.id, "declined"), "CONFLICT");
      expect((await d.rooms.findInvite(invite!.id))?.status).to.equal("accepted");
    });

    it("declining leaves the invitee outside, tells both sides with the room's preview, and allows a new invite", async () => {
      const [invite] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      d.feed.clear();
      const answered = await answerInvite(d, cat.id, invite!.id, "declined");
      expect(answered).to.deep.equal({ invite: { ...invite, status: "declined" } });
      expect(await d.rooms.isMember(team.id, cat.id)).to.equal(false);
      expect(d.feed.published.map((p) => [p.userId, p.event.type, "room" in p.event.data ? p.event.data.room?.id : "absent"])).to.deep.equal([
        [cat.id, "invite.updated", team.id],
        [ann.id, "invite.updated", team.id],
      ]);
      expect(d.feed.roomChanges).to.deep.equal([]);
      await refusal(answerInvite(d, cat.id, invite!.id, "accepted"), "CONFLICT");
      const [again] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      expect(again!.id).to.not.equal(invite!.id);
    });

    it("of two answers at once exactly one wins; the other is CONFLICT", async () => {
      const [invite] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      const results = await Promise.allSettled([answerInvite(d, cat.id, invite!.id, "accepted"), answerInvite(d, cat.id, invite!.id, "declined")]);
      expect(results.map((r) => r.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
      expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).to.have.property("code", "CONFLICT");
    });

    it("after accepting, the new member may invite others", async () => {
      const [invite] = await inviteToRoom(d, ann.id, team.id, [cat.id]);
      await answerInvite(d, cat.id, invite!.id, "accepted");
      expect(await inviteToRoom(d, cat.id, team.id, [dan.id])).to.have.length(1);
    });
  });
});
