// Friend requests and friendships (src/domain/friends.ts) on the in-memory fakes: the request
// state machine (pending -> accepted | declined, answered once, only by its addressee).
import { expect } from "chai";
import { answerFriendRequest, listFriendRequests, listFriends, removeFriend, sendFriendRequest } from "../../src/domain/friends.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { refusal, users } from "../fakes/scenario.js";

describe("friends (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
  });

  describe("access", () => {
    it("only the addressee may answer: to a stranger the request does not exist (NOT_FOUND), as an unknown id", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      const stranger = await refusal(answerFriendRequest(d, eve.id, request.id, "accepted"), "NOT_FOUND");
      const unknown = await refusal(answerFriendRequest(d, eve.id, UNKNOWN_ID, "accepted"), "NOT_FOUND");
      expect(stranger.message).to.equal(unknown.message);
      expect((await d.friends.findRequest(request.id))?.status).to.equal("pending");
    });

    it("the sender cannot answer their own request: NOT_FOUND, and it stays pending", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      await refusal(answerFriendRequest(d, ann.id, request.id, "accepted"), "NOT_FOUND");
      expect((await d.friends.findRequest(request.id))?.status).to.equal("pending");
      expect(d.friends.areFriends(ann.id, bob.id)).to.equal(false);
    });
  });

  describe("requests", () => {
    it("a friend request to oneself is VALIDATION", async () => {
      const err = await refusal(sendFriendRequest(d, ann.id, ann.id), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "userId");
      expect(d.feed.published).to.deep.equal([]);
    });

    it("a request to a user who does not exist is NOT_FOUND", async () => {
      await refusal(sendFriendRequest(d, ann.id, UNKNOWN_ID), "NOT_FOUND");
    });

    it("creates a pending request and tells the addressee's feed (friend.request)", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      expect(request).to.include({ fromUserId: ann.id, toUserId: bob.id, status: "pending" });
      expect(request.createdAt).to.be.a("string");
      expect(d.feed.published).to.deep.equal([{ userId: bob.id, event: { type: "friend.request", data: { request } } }]);
    });

    it("a second request while one is pending, in either direction, is CONFLICT", async () => {
      await sendFriendRequest(d, ann.id, bob.id);
      await refusal(sendFriendRequest(d, ann.id, bob.id), "CONFLICT");
      const reverse = await refusal(sendFriendRequest(d, bob.id, ann.id), "CONFLICT");
      expect(reverse.message).to.match(/accept it/);
      expect(d.feed.published).to.have.length(1);
    });

    it("a request between friends is CONFLICT", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      await answerFriendRequest(d, bob.id, request.id, "accepted");
      await refusal(sendFriendRequest(d, bob.id, ann.id), "CONFLICT");
    });

    it("lists a pending request as incoming for the addressee and outgoing for the sender", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      expect(await listFriendRequests(d, bob.id)).to.deep.equal({ incoming: [request], outgoing: [] });
      expect(await listFriendRequests(d, ann.id)).to.deep.equal({ incoming: [], outgoing: [request] });
      expect(await listFriendRequests(d, eve.id)).to.deep.equal({ incoming: [], outgoing: [] });
    });
  });

  describe("answering", () => {
    it("accepting a request makes both friends and answering it twice is a conflict", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      const accepted = await answerFriendRequest(d, bob.id, request.id, "accepted");
      expect(accepted).to.include({ id: request.id, status: "accepted" });
      expect([d.friends.areFriends(ann.id, bob.id), d.friends.areFriends(bob.id, ann.id)]).to.deep.equal([true, true]);
      await refusal(answerFriendRequest(d, bob.id, request.id, "accepted"), "CONFLICT");
      await refusal(answerFriendRequest(d, bob.id, request.id, "declined"), "CONFLICT");
      expect((await d.friends.findRequest(request.id))?.status).to.equal("accepted");
    });

    it("accepting tells both users friend.updated with the other's view and friends: true", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      d.feed.clear();
      await answerFriendRequest(d, bob.id, request.id, "accepted");
      const toAnn = d.feed.eventsOf(ann.id);
      const toBob = d.feed.eventsOf(bob.id);
      expect(toAnn).to.have.length(1);
      expect(toAnn[0]).to.deep.include({ type: "friend.updated" });
      expect(toAnn[0]!.data).to.deep.include({ friends: true });
      expect(d.feed.eventsOfType(ann.id, "friend.updated")[0]!.data.user).to.include({ id: bob.id, displayName: "Bob" }).and.not.have.property("email");
      expect(d.feed.eventsOfType(bob.id, "friend.updated")[0]!.data.user).to.include({ id: ann.id }).and.not.have.property("email");
    });

    it("declining makes no friendship, tells nobody, and a new request may follow", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      d.feed.clear();
      expect(await answerFriendRequest(d, bob.id, request.id, "declined")).to.include({ status: "declined" });
      expect(d.friends.areFriends(ann.id, bob.id)).to.equal(false);
      expect(d.feed.published).to.deep.equal([]);
      await refusal(answerFriendRequest(d, bob.id, request.id, "accepted"), "CONFLICT");
      expect(await listFriendRequests(d, bob.id)).to.deep.equal({ incoming: [], outgoing: [] });
      const again = await sendFriendRequest(d, ann.id, bob.id);
      expect(again.id).to.not.equal(request.id);
    });

    it("of two answers at once exactly one wins; the other is CONFLICT", async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      const results = await Promise.allSettled([
        answerFriendRequest(d, bob.id, request.id, "accepted"),
        answerFriendRequest(d, bob.id, request.id, "declined"),
      ]);
      expect(results.map((r) => r.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
      const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(rejected.reason).to.have.property("code", "CONFLICT");
    });
  });

  describe("friendships", () => {
    beforeEach(async () => {
      const request = await sendFriendRequest(d, ann.id, bob.id);
      await answerFriendRequest(d, bob.id, request.id, "accepted");
      d.feed.clear();
    });

    it("lists friends with their presence (offline when unknown), never their email or password hash", async () => {
      d.presence.set(bob.id, { status: "away", lastSeenAt: "2026-01-01T00:00:00.000Z" });
      const friends = await listFriends(d, ann.id);
      expect(friends.map((f) => [f.user.id, f.presence.status])).to.deep.equal([[bob.id, "away"]]);
      expect(friends[0]!.user).to.not.have.property("email");
      expect(JSON.stringify(friends)).to.not.include("passwordHash");
      expect((await listFriends(d, bob.id)).map((f) => [f.user.id, f.presence])).to.deep.equal([[ann.id, { status: "offline", lastSeenAt: null }]]);
    });

    it("removing a friend ends it for both sides and tells both friends: false", async () => {
      await removeFriend(d, ann.id, bob.id);
      expect(await listFriends(d, ann.id)).to.deep.equal([]);
      expect(await listFriends(d, bob.id)).to.deep.equal([]);
      expect(d.feed.eventsOf(ann.id).map((e) => [e.type, "friends" in e.data ? e.data.friends : "absent"])).to.deep.equal([["friend.updated", false]]);
      expect(d.feed.eventsOf(bob.id).map((e) => [e.type, "friends" in e.data ? e.data.friends : "absent"])).to.deep.equal([["friend.updated", false]]);
    });

    it("removing someone who is not a friend is a no-op that tells nobody", async () => {
      await removeFriend(d, ann.id, eve.id);
      await removeFriend(d, ann.id, bob.id);
      d.feed.clear();
      await removeFriend(d, bob.id, ann.id);
      expect(d.feed.published).to.deep.equal([]);
    });

    it("after removal the two may ask again", async () => {
      await removeFriend(d, bob.id, ann.id);
      expect(await sendFriendRequest(d, bob.id, ann.id)).to.include({ status: "pending" });
    });
  });
});
