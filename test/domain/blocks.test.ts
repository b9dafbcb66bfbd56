// Blocks (src/domain/blocks.ts) on the in-memory fakes: the use cases behind /api/blocks, and the
// rules other use cases enforce with them (PROTOCOL.md, "Conversations": blocks). In every test
// Bob has blocked nobody and Ann blocks Bob: Bob is refused, Ann is not.
import { expect } from "chai";
import { blockUser, listBlocked, refuseBlockedDirectSend, refuseIfAnyBlocked, refuseIfBlocked, unblockUser } from "../../src/domain/blocks.js";
import { sendFriendRequest } from "../../src/domain/friends.js";
import { createGroupRoom, inviteToRoom, listInvites } from "../../src/domain/invites.js";
import { createDirectRoom } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { direct, group, refusal, users } from "../fakes/scenario.js";

describe("blocks (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord;
  const blockedIds = async (who: UserRecord) => (await listBlocked(d, who.id)).map((u) => u.id);

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat] = await users(d, "Ann", "Bob", "Cat");
  });

  describe("refusals", () => {
    it("blocking oneself is VALIDATION naming userId, and blocks nothing", async () => {
      const err = await refusal(blockUser(d, ann.id, ann.id), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "userId");
      expect(await blockedIds(ann)).to.deep.equal([]);
    });

    it("blocking a user who does not exist is NOT_FOUND, and blocks nothing", async () => {
      await refusal(blockUser(d, ann.id, UNKNOWN_ID), "NOT_FOUND");
      expect(await blockedIds(ann)).to.deep.equal([]);
    });
  });

  describe("blocking and unblocking", () => {
    it("is one-way: the blocker lists the blocked user, the blocked user lists nobody", async () => {
      await blockUser(d, ann.id, bob.id);
      expect(await blockedIds(ann)).to.deep.equal([bob.id]);
      expect(await blockedIds(bob)).to.deep.equal([]);
      expect(await d.blocks.isBlocked(ann.id, bob.id)).to.equal(true);
      expect(await d.blocks.isBlocked(bob.id, ann.id)).to.equal(false);
      expect(await d.blocks.eitherBlocked(bob.id, ann.id)).to.equal(true);
    });

    it("blocking twice is one block, listed once", async () => {
      await blockUser(d, ann.id, bob.id);
      await blockUser(d, ann.id, bob.id);
      expect(await blockedIds(ann)).to.deep.equal([bob.id]);
    });

    it("lists the oldest block first, as other users are shown (no email, no password hash)", async () => {
      await blockUser(d, ann.id, cat.id);
      d.clock.advance(1_000);
      await blockUser(d, ann.id, bob.id);
      const list = await listBlocked(d, ann.id);
      expect(list.map((u) => u.id)).to.deep.equal([cat.id, bob.id]);
      expect(list[0]).to.not.have.property("email");
      expect(JSON.stringify(list)).to.not.include("passwordHash");
    });

    it("unblocking is idempotent: twice, someone never blocked, oneself and an unknown user are no-ops", async () => {
      await blockUser(d, ann.id, bob.id);
      await blockUser(d, ann.id, cat.id);
      await unblockUser(d, ann.id, bob.id);
      await unblockUser(d, ann.id, bob.id);
      await unblockUser(d, bob.id, ann.id);
      await unblockUser(d, ann.id, ann.id);
      await unblockUser(d, ann.id, UNKNOWN_ID);
      expect(await blockedIds(ann)).to.deep.equal([cat.id]);
    });
  });

  describe("what a blocked user cannot do", () => {
    beforeEach(() => blockUser(d, ann.id, bob.id));

    it("open a direct room with the blocker: FORBIDDEN, and no room is made", async () => {
      const err = await refusal(createDirectRoom(d, bob.id, ann.id), "FORBIDDEN");
      expect(err.message).to.equal("you cannot message this user");
      expect(await d.rooms.roomsOf(bob.id)).to.deep.equal([]);
      expect(d.feed.published).to.deep.equal([]);
    });

    it("reopen a direct room that existed before the block: FORBIDDEN", async () => {
      await direct(d, ann, bob);
      await refusal(createDirectRoom(d, bob.id, ann.id), "FORBIDDEN");
    });

    it("send the blocker a friend request: FORBIDDEN, and no request is made or announced", async () => {
      await refusal(sendFriendRequest(d, bob.id, ann.id), "FORBIDDEN");
      expect(await d.friends.listPending(ann.id)).to.deep.equal({ incoming: [], outgoing: [] });
      expect(d.feed.published).to.deep.equal([]);
    });

    it("invite the blocker to a group: FORBIDDEN for the whole request, so nobody on the list is invited", async () => {
      const team = await group(d, bob, [cat]);
      const dan = (await users(d, "Dan"))[0];
      await refusal(inviteToRoom(d, bob.id, team.id, [dan.id, ann.id]), "FORBIDDEN");
      expect(await listInvites(d, dan.id)).to.deep.equal([]);
      expect(await listInvites(d, ann.id)).to.deep.equal([]);
    });

    it("create a group with the blocker among memberIds: FORBIDDEN, and no group is left behind", async () => {
      await refusal(createGroupRoom(d, bob.id, { name: "Trap", memberIds: [cat.id, ann.id] }), "FORBIDDEN");
      expect(await d.rooms.roomsOf(bob.id)).to.deep.equal([]);
      expect(await listInvites(d, cat.id)).to.deep.equal([]);
    });

    it("send into the direct room they share: FORBIDDEN, saying only that this user cannot be messaged", async () => {
      const room = await direct(d, ann, bob);
      const err = await refusal(refuseBlockedDirectSend(d, bob.id, room.id), "FORBIDDEN");
      expect(err.message).to.equal("you cannot message this user");
    });

    it("none of the refusals says who blocked whom", async () => {
      const room = await direct(d, ann, bob);
      const team = await group(d, bob);
      const refusals = await Promise.all([
        refusal(createDirectRoom(d, bob.id, ann.id), "FORBIDDEN"),
        refusal(sendFriendRequest(d, bob.id, ann.id), "FORBIDDEN"),
        refusal(inviteToRoom(d, bob.id, team.id, [ann.id]), "FORBIDDEN"),
        refusal(refuseBlockedDirectSend(d, bob.id, room.id), "FORBIDDEN"),
      ]);
      for (const err of refusals) {
        expect(err.message).to.not.match(/block/i);
        expect(err.message).to.not.include(ann.id).and.not.include(ann.displayName);
      }
    });
  });

  describe("what stays open", () => {
    beforeEach(() => blockUser(d, ann.id, bob.id));

    it("the blocker may still open the direct room, befriend, invite and send: a block is one-way", async () => {
      const { room } = await createDirectRoom(d, ann.id, bob.id);
      await refuseBlockedDirectSend(d, ann.id, room.id);
      await sendFriendRequest(d, ann.id, bob.id);
      const team = await group(d, ann);
      expect(await inviteToRoom(d, ann.id, team.id, [bob.id])).to.have.length(1);
    });

    it("the blocked user may still send into a group the blocker is in", async () => {
      const team = await group(d, cat, [ann, bob]);
      await refuseBlockedDirectSend(d, bob.id, team.id);
    });

    it("the blocked user may still reach everyone else, direct rooms included", async () => {
      const { room } = await createDirectRoom(d, bob.id, cat.id);
      await refuseBlockedDirectSend(d, bob.id, room.id);
      await sendFriendRequest(d, bob.id, cat.id);
      await createGroupRoom(d, bob.id, { name: "Pals", memberIds: [cat.id] });
    });

    it("unblocking restores every door at once", async () => {
      const room = await direct(d, ann, bob);
      const team = await group(d, bob);
      await unblockUser(d, ann.id, bob.id);
      await refuseBlockedDirectSend(d, bob.id, room.id);
      expect((await createDirectRoom(d, bob.id, ann.id)).room.id).to.equal(room.id);
      await sendFriendRequest(d, bob.id, ann.id);
      expect(await inviteToRoom(d, bob.id, team.id, [ann.id])).to.have.length(1);
      expect(await blockedIds(ann)).to.deep.equal([]);
    });
  });

  describe("the checks", () => {
    it("refuseIfBlocked and refuseIfAnyBlocked refuse only when a target blocked the actor", async () => {
      await blockUser(d, ann.id, bob.id);
      await refusal(refuseIfBlocked(d, bob.id, ann.id), "FORBIDDEN");
      await refusal(refuseIfAnyBlocked(d, bob.id, [cat.id, ann.id]), "FORBIDDEN");
      await refuseIfBlocked(d, ann.id, bob.id);
      await refuseIfAnyBlocked(d, bob.id, [cat.id]);
      await refuseIfAnyBlocked(d, bob.id, []);
    });

    it("refuseBlockedDirectSend reads no room when nobody blocked the sender", async () => {
      const room = await direct(d, ann, bob);
      let reads = 0;
      const rooms = { find: (id: string) => (reads++, d.rooms.find(id)), memberIds: (id: string) => (reads++, d.rooms.memberIds(id)) };
      await refuseBlockedDirectSend({ blocks: d.blocks, rooms }, bob.id, room.id);
      expect(reads).to.equal(0);
      await blockUser(d, cat.id, bob.id);
      await refuseBlockedDirectSend({ blocks: d.blocks, rooms }, bob.id, room.id);
      expect(reads).to.be.greaterThan(0);
    });
  });
});
