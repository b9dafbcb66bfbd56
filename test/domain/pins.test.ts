// Pins (src/domain/pins.ts) on the in-memory fakes: PROTOCOL.md "Conversations". Who may pin
// (group owner, either member of a direct room), the system message a pin leaves, idempotency,
// unpinning, listPins order, and what a delete does to a pin.
import { expect } from "chai";
import type { Message } from "../../src/domain/message.js";
import { deleteMessage, listMessages, sendMessage } from "../../src/domain/messages.js";
import { listPins, pin } from "../../src/domain/pins.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { leaveRoom } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { direct, group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("pins (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;
  let team: RoomRecord;

  const roomRev = async (roomId = team.id) => (await d.messages.heads([roomId])).get(roomId)!.rev;
  const lastSeq = async (roomId = team.id) => (await d.messages.heads([roomId])).get(roomId)!.lastSeq;
  const pinAs = (who: UserRecord, seq: number, roomId = team.id) => pin(d, who.id, { roomId, seq }, true);
  const unpinAs = (who: UserRecord, seq: number, roomId = team.id) => pin(d, who.id, { roomId, seq }, false);

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
    team = await group(d, ann, [bob]);
    await messagesIn(d, team.id, bob, 3);
    d.broadcaster.clear();
    d.feed.clear();
  });

  describe("pinning in a group", () => {
    it("the owner pins: the message carries pinnedAt and pinnedBy and is broadcast as message:updated", async () => {
      const message = await pinAs(ann, 2);
      expect(message).to.include({ seq: 2, pinnedBy: ann.id });
      expect(message.pinnedAt).to.be.a("string");
      expect(Number.isNaN(Date.parse(message.pinnedAt!))).to.equal(false);
      expect(await d.messages.get(team.id, 2, ann.id)).to.deep.equal(message);
      const updated = d.broadcaster.roomEvents("message:updated", team.id) as Message[];
      expect(updated).to.have.length(1);
      expect(updated[0]).to.include({ seq: 2, pinnedBy: ann.id, pinnedAt: message.pinnedAt });
    });

    it("a pin leaves a system message by the pinner answering the pinned message, broadcast as message:new, and tells the feed", async () => {
      await pinAs(ann, 2);
      expect(await lastSeq()).to.equal(4);
      const notice = (await d.messages.get(team.id, 4))!;
      expect(notice).to.include({ type: "system", senderId: ann.id, replyToSeq: 2, clientMsgId: null });
      const sent = d.broadcaster.roomEvents("message:new", team.id) as Message[];
      expect(sent).to.have.length(1);
      expect(sent[0]).to.include({ seq: 4, type: "system", senderId: ann.id, replyToSeq: 2 });
      expect(sent[0]!.replyTo).to.deep.equal({ seq: 2, senderId: bob.id, text: "m2" });
      expect(d.feed.usersToldOf(team.id)).to.deep.equal([ann.id, bob.id].sort());
      expect(d.hooks.stored.map((m) => m.seq), "onMessageStored sees the notice").to.deep.equal([4]);
      const page = await listMessages(d, bob.id, team.id, { after: 3, limit: 10 });
      expect(page.messages.map((m) => [m.seq, m.type, m.replyTo?.seq])).to.deep.equal([[4, "system", 2]]);
    });

    it("the pin is one change of the room's rev and the notice another", async () => {
      const before = await roomRev();
      const message = await pinAs(ann, 1);
      expect(message.rev).to.equal(before + 1);
      expect(await roomRev()).to.equal(before + 2);
    });

    it("listPins answers the pinned messages, most recently pinned first, to any member", async () => {
      await pinAs(ann, 2);
      await pinAs(ann, 1);
      await pinAs(ann, 3);
      const pins = await listPins(d, bob.id, team.id);
      expect(pins.map((m) => m.seq)).to.deep.equal([3, 1, 2]);
      expect(pins.every((m) => m.pinnedBy === ann.id && typeof m.pinnedAt === "string")).to.equal(true);
    });

    it("re-pinning after an unpin brings the message to the front again", async () => {
      await pinAs(ann, 1);
      await pinAs(ann, 2);
      await unpinAs(ann, 1);
      await pinAs(ann, 1);
      expect((await listPins(d, ann.id, team.id)).map((m) => m.seq)).to.deep.equal([1, 2]);
    });

    it("pinning twice changes nothing the second time: one system message, one broadcast of each kind", async () => {
      const first = await pinAs(ann, 2);
      const second = await pinAs(ann, 2);
      expect(second).to.deep.equal(first);
      expect(await lastSeq()).to.equal(4);
      expect(d.broadcaster.roomEvents("message:new")).to.have.length(1);
      expect(d.broadcaster.roomEvents("message:updated")).to.have.length(1);
      expect((await listPins(d, ann.id, team.id)).map((m) => m.seq)).to.deep.equal([2]);
    });

    it("unpinning drops pinnedAt and pinnedBy, broadcasts message:updated, leaves no system message, and listPins no longer has it", async () => {
      await pinAs(ann, 2);
      d.broadcaster.clear();
      const seqBefore = await lastSeq();
      const message = await unpinAs(ann, 2);
      expect(message).to.not.have.property("pinnedAt");
      expect(message).to.not.have.property("pinnedBy");
      expect(d.broadcaster.roomEvents("message:updated", team.id)).to.deep.equal([message]);
      expect(d.broadcaster.roomEvents("message:new")).to.deep.equal([]);
      expect(await lastSeq()).to.equal(seqBefore);
      expect(await listPins(d, ann.id, team.id)).to.deep.equal([]);
    });

    it("unpinning a message that is not pinned changes nothing and broadcasts nothing", async () => {
      const rev = await roomRev();
      const message = await unpinAs(ann, 1);
      expect(message).to.not.have.property("pinnedAt");
      expect(await roomRev()).to.equal(rev);
      expect(d.broadcaster.count).to.equal(0);
    });

    it("a plain member of a group may neither pin nor unpin: FORBIDDEN, nothing changes", async () => {
      await refusal(pinAs(bob, 1), "FORBIDDEN");
      await pinAs(ann, 2);
      d.broadcaster.clear();
      await refusal(unpinAs(bob, 2), "FORBIDDEN");
      expect((await listPins(d, bob.id, team.id)).map((m) => m.seq)).to.deep.equal([2]);
      expect((await d.messages.get(team.id, 1))?.pinnedAt).to.equal(undefined);
      expect(d.broadcaster.count).to.equal(0);
    });
  });

  describe("pinning in a direct room", () => {
    it("either member may pin and unpin, each leaving their own mark", async () => {
      const dm = await direct(d, ann, bob);
      await messagesIn(d, dm.id, ann, 2);
      expect((await pinAs(bob, 1, dm.id)).pinnedBy).to.equal(bob.id);
      expect((await pinAs(ann, 2, dm.id)).pinnedBy).to.equal(ann.id);
      expect((await listPins(d, ann.id, dm.id)).map((m) => [m.seq, m.pinnedBy])).to.deep.equal([[2, ann.id], [1, bob.id]]);
      await unpinAs(ann, 1, dm.id);
      expect((await listPins(d, bob.id, dm.id)).map((m) => m.seq)).to.deep.equal([2]);
      const notices = (await listMessages(d, ann.id, dm.id, { after: 2, limit: 10 })).messages;
      expect(notices.map((m) => [m.type, m.senderId, m.replyToSeq])).to.deep.equal([["system", bob.id, 1], ["system", ann.id, 2]]);
    });
  });

  describe("refusals", () => {
    it("a non-member may neither pin nor list pins: NOT_FOUND, the same as for a room that does not exist", async () => {
      const stranger = await refusal(pinAs(eve, 1), "NOT_FOUND");
      const missing = await refusal(pinAs(eve, 1, UNKNOWN_ID), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
      await refusal(unpinAs(eve, 1), "NOT_FOUND");
      const listStranger = await refusal(listPins(d, eve.id, team.id), "NOT_FOUND");
      const listMissing = await refusal(listPins(d, eve.id, UNKNOWN_ID), "NOT_FOUND");
      expect(listStranger.message).to.equal(listMissing.message);
      expect(d.broadcaster.count).to.equal(0);
      expect(await lastSeq()).to.equal(3);
    });

    it("the owner of another group is still a non-member here: NOT_FOUND", async () => {
      await group(d, eve, [], "Eve's");
      await refusal(pinAs(eve, 1), "NOT_FOUND");
    });

    it("an owner who left may no longer pin: NOT_FOUND", async () => {
      await leaveRoom(d, ann.id, team.id);
      await refusal(pinAs(ann, 1), "NOT_FOUND");
    });

    it("a seq with no message is NOT_FOUND and leaves no system message", async () => {
      await refusal(pinAs(ann, 99), "NOT_FOUND");
      await refusal(pinAs(ann, 0), "NOT_FOUND");
      expect(await lastSeq()).to.equal(3);
      expect(d.broadcaster.count).to.equal(0);
    });

    it("pinning a deleted message is CONFLICT and leaves no system message", async () => {
      const { message } = await sendMessage(d, ann.id, { roomId: team.id, clientMsgId: "c", text: "to go" });
      await deleteMessage(d, ann.id, { roomId: team.id, messageId: message.id });
      d.broadcaster.clear();
      await refusal(pinAs(ann, message.seq), "CONFLICT");
      expect(await lastSeq()).to.equal(message.seq);
      expect(d.broadcaster.count).to.equal(0);
    });
  });

  describe("deleting a pinned message", () => {
    it("unpins it: it leaves listPins and loses pinnedAt and pinnedBy; the other pins stay in order", async () => {
      const { message } = await sendMessage(d, ann.id, { roomId: team.id, clientMsgId: "c", text: "pin me" });
      await pinAs(ann, 1);
      await pinAs(ann, message.seq);
      await pinAs(ann, 2);
      const deleted = await deleteMessage(d, ann.id, { roomId: team.id, messageId: message.id });
      expect(deleted).to.not.have.property("pinnedAt");
      expect(deleted).to.not.have.property("pinnedBy");
      expect((await listPins(d, bob.id, team.id)).map((m) => m.seq)).to.deep.equal([2, 1]);
    });
  });
});
