// Reactions (src/domain/reactions.ts) on the in-memory fakes: PROTOCOL.md "Conversations".
// Idempotent add and remove, one message:updated per effective change (without anyone's `me`),
// what an emoji may be, the 20-distinct-emoji cap, membership and the room's rev.
import { expect } from "chai";
import { REACTIONS_PER_MESSAGE_MAX, type Message } from "../../src/domain/message.js";
import { deleteMessage, sendMessage } from "../../src/domain/messages.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { react } from "../../src/domain/reactions.js";
import { leaveRoom } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("reactions (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;
  let team: RoomRecord;

  const roomRev = async (roomId = team.id) => (await d.messages.heads([roomId])).get(roomId)!.rev;
  const add = (who: UserRecord, seq: number, emoji: string, roomId = team.id) => react(d, who.id, { roomId, seq, emoji }, true);
  const remove = (who: UserRecord, seq: number, emoji: string, roomId = team.id) => react(d, who.id, { roomId, seq, emoji }, false);

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
    team = await group(d, ann, [bob]);
    await messagesIn(d, team.id, ann, 2);
    d.broadcaster.clear();
  });

  describe("adding", () => {
    it("adds the reaction, answers the reactor's view with me: true, and broadcasts one message:updated without any `me`", async () => {
      const message = await add(bob, 1, "👍");
      expect(message.seq).to.equal(1);
      expect(message.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [bob.id], me: true }]);
      const sent = d.broadcaster.roomEvents("message:updated", team.id) as Message[];
      expect(sent).to.have.length(1);
      expect(sent[0]!.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [bob.id] }]);
      expect(sent[0]!.reactions![0]).to.not.have.property("me");
      expect(sent[0]).to.include({ id: `${team.id}:1`, seq: 1, rev: message.rev });
      expect(d.broadcaster.count, "nothing else is broadcast").to.equal(1);
    });

    it("the stored message shows the reaction to everyone, with `me` set per viewer", async () => {
      await add(bob, 1, "👍");
      expect((await d.messages.get(team.id, 1, ann.id))?.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [bob.id], me: false }]);
      expect((await d.messages.get(team.id, 1, bob.id))?.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [bob.id], me: true }]);
      expect((await d.messages.get(team.id, 2))?.reactions, "the other message is untouched").to.deep.equal([]);
    });

    it("the same add twice counts once, changes nothing and broadcasts nothing the second time", async () => {
      const first = await add(bob, 1, "👍");
      d.broadcaster.clear();
      const second = await add(bob, 1, "👍");
      expect(second).to.deep.equal(first);
      expect(second.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [bob.id], me: true }]);
      expect(d.broadcaster.count).to.equal(0);
    });

    it("two people with the same emoji make one entry with count 2, in the order they reacted", async () => {
      await add(bob, 1, "👍");
      const message = await add(ann, 1, "👍");
      expect(message.reactions).to.deep.equal([{ emoji: "👍", count: 2, userIds: [bob.id, ann.id], me: true }]);
    });

    it("emoji are listed in the order each was first added", async () => {
      await add(bob, 1, "🎉");
      await add(ann, 1, ":tada:");
      const message = await add(ann, 1, "🎉");
      expect(message.reactions?.map((r) => r.emoji)).to.deep.equal(["🎉", ":tada:"]);
      expect(message.reactions?.map((r) => r.me)).to.deep.equal([true, true]);
    });

    it("accepts one emoji of any form: with a skin tone, a ZWJ sequence, a flag, a keycap, a variation selector, or a :shortcode:", async () => {
      const emoji = ["👍🏽", "👩‍👩‍👧‍👦", "🇫🇷", "1️⃣", "❤️", ":thumbs_up:", ":+1:", ":a-b:"];
      for (const e of emoji) await add(bob, 1, e);
      expect((await d.messages.get(team.id, 1))?.reactions?.map((r) => r.emoji)).to.deep.equal(emoji);
    });

    it("works on a message of any age, e.g. the first of many", async () => {
      await messagesIn(d, team.id, bob, 150);
      expect((await add(bob, 1, "👍")).reactions).to.have.length(1);
    });
  });

  describe("removing", () => {
    it("removes the reactor's own reaction, broadcasts message:updated, and the entry goes when its count reaches 0", async () => {
      await add(bob, 1, "👍");
      d.broadcaster.clear();
      const message = await remove(bob, 1, "👍");
      expect(message.reactions).to.deep.equal([]);
      expect(d.broadcaster.roomEvents("message:updated", team.id)).to.deep.equal([message]);
      expect((await d.messages.get(team.id, 1))?.reactions).to.deep.equal([]);
    });

    it("removes only the caller's reaction: the others' stay, `me` turns false", async () => {
      await add(bob, 1, "👍");
      await add(ann, 1, "👍");
      const message = await remove(bob, 1, "👍");
      expect(message.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [ann.id], me: false }]);
    });

    it("removing a reaction the caller does not have changes nothing and broadcasts nothing", async () => {
      await add(ann, 1, "👍");
      d.broadcaster.clear();
      const before = await roomRev();
      const message = await remove(bob, 1, "👍");
      expect(message.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [ann.id], me: false }]);
      await remove(bob, 1, "🎉");
      expect(d.broadcaster.count).to.equal(0);
      expect(await roomRev()).to.equal(before);
    });
  });

  describe("the room's rev", () => {
    it("moves by exactly one per effective change, and not at all for a change already in effect", async () => {
      const start = await roomRev();
      expect(start).to.equal(2);
      const revs: number[] = [];
      const step = async (work: Promise<Message>) => {
        const message = await work;
        revs.push(await roomRev());
        return message;
      };
      const added = await step(add(bob, 1, "👍"));
      await step(add(bob, 1, "👍"));
      await step(add(ann, 1, "👍"));
      await step(remove(ann, 1, "👍"));
      await step(remove(ann, 1, "👍"));
      const removed = await step(remove(bob, 1, "👍"));
      expect(revs).to.deep.equal([3, 3, 4, 5, 5, 6]);
      expect(added.rev, "the message carries the rev of its last change").to.equal(3);
      expect(removed.rev).to.equal(6);
      expect(d.broadcaster.roomEvents("message:updated")).to.have.length(4);
    });
  });

  describe("refusals", () => {
    for (const emoji of ["1", "#", "ab", "👍👍", ":Bad:", "::", ":no spaces:", `:${"a".repeat(33)}:`, "", " ", "👍 "]) {
      it(`${JSON.stringify(emoji)} is not one emoji: VALIDATION on the emoji, nothing changes`, async () => {
        const err = await refusal(add(bob, 1, emoji), "VALIDATION");
        expect(err).to.have.nested.property("errors[0].path", "emoji");
        expect((await d.messages.get(team.id, 1))?.reactions).to.deep.equal([]);
        expect(await roomRev()).to.equal(2);
        expect(d.broadcaster.count).to.equal(0);
      });
    }

    it(`a ${REACTIONS_PER_MESSAGE_MAX + 1}st distinct emoji is CONFLICT; more people with an emoji already there are fine`, async () => {
      for (let i = 1; i <= REACTIONS_PER_MESSAGE_MAX; i++) await add(bob, 1, `:e${i}:`);
      const rev = await roomRev();
      d.broadcaster.clear();
      await refusal(add(ann, 1, "👍"), "CONFLICT");
      expect(await roomRev()).to.equal(rev);
      expect(d.broadcaster.count).to.equal(0);
      const message = await add(ann, 1, ":e7:");
      expect(message.reactions).to.have.length(REACTIONS_PER_MESSAGE_MAX);
      expect(message.reactions?.find((r) => r.emoji === ":e7:")).to.include({ count: 2 });
      await refusal(add(bob, 1, ":e21:"), "CONFLICT");
    });

    it("a non-member is NOT_FOUND, the same as for a room that does not exist, and nothing changes", async () => {
      const stranger = await refusal(add(eve, 1, "👍"), "NOT_FOUND");
      const missing = await refusal(add(eve, 1, "👍", UNKNOWN_ID), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
      await refusal(remove(eve, 1, "👍"), "NOT_FOUND");
      expect((await d.messages.get(team.id, 1))?.reactions).to.deep.equal([]);
      expect(d.broadcaster.count).to.equal(0);
    });

    it("membership is checked before the emoji: a non-member's bad emoji is NOT_FOUND", async () => {
      await refusal(add(eve, 1, "ab"), "NOT_FOUND");
    });

    it("a member who left can no longer react: NOT_FOUND", async () => {
      await leaveRoom(d, bob.id, team.id);
      await refusal(add(bob, 1, "👍"), "NOT_FOUND");
    });

    it("a seq with no message in the room is NOT_FOUND", async () => {
      for (const seq of [3, 0, 1000]) await refusal(add(bob, seq, "👍"), "NOT_FOUND");
      const other = await group(d, ann, [bob], "Other");
      await refusal(add(bob, 1, "👍", other.id), "NOT_FOUND");
      expect(d.broadcaster.count).to.equal(0);
    });

    it("reacting to, or removing a reaction from, a deleted message is CONFLICT, and it stays without reactions", async () => {
      const { message } = await sendMessage(d, ann.id, { roomId: team.id, clientMsgId: "x", text: "soon gone" });
      await add(bob, message.seq, "👍");
      await deleteMessage(d, ann.id, { roomId: team.id, messageId: message.id });
      d.broadcaster.clear();
      const rev = await roomRev();
      await refusal(add(bob, message.seq, "🎉"), "CONFLICT");
      await refusal(remove(bob, message.seq, "👍"), "CONFLICT");
      expect((await d.messages.get(team.id, message.seq))?.reactions).to.deep.equal([]);
      expect(await roomRev()).to.equal(rev);
      expect(d.broadcaster.count).to.equal(0);
    });
  });
});
