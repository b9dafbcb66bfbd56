// Message use cases (src/domain/messages.ts) on the in-memory fakes: membership, idempotency,
// ordering, the sender's read cursor, edits and deletions, paging, sync after a reconnect.
import { expect } from "chai";
import { deleteMessage, editMessage, listMessages, MESSAGE_TEXT_MAX, PAGE_LIMIT_MAX, sendMessage, SYNC_ROOMS_MAX } from "../../src/domain/messages.js";
import { syncRooms } from "../../src/domain/timeline.js";
import type { Message } from "../../src/domain/message.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { leaveRoom } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("messages (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  let n = 0;
  const send = (who: UserRecord, text = "hello", over: { roomId?: string; clientMsgId?: string; attachmentIds?: string[] } = {}) =>
    sendMessage(d, who.id, { roomId: over.roomId ?? team.id, clientMsgId: over.clientMsgId ?? `c${++n}`, text, ...(over.attachmentIds ? { attachmentIds: over.attachmentIds } : {}) });

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
    team = await group(d, ann, [bob]);
  });

  describe("access", () => {
    it("refuses a message from a non-member with NOT_FOUND, as for a room that does not exist, and stores nothing", async () => {
      const stranger = await refusal(send(eve), "NOT_FOUND");
      const missing = await refusal(send(eve, "hello", { roomId: UNKNOWN_ID }), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
      expect(d.messages.appended).to.equal(0);
      expect(d.broadcaster.count).to.equal(0);
      expect(d.hooks.stored).to.deep.equal([]);
    });

    it("checks membership before the text: a non-member's empty message is NOT_FOUND, not VALIDATION", async () => {
      await refusal(send(eve, "   "), "NOT_FOUND");
    });

    it("refuses a non-member's page, edit, delete with NOT_FOUND", async () => {
      const { message } = await send(ann);
      await refusal(listMessages(d, eve.id, team.id, { limit: 10 }), "NOT_FOUND");
      await refusal(editMessage(d, eve.id, { roomId: team.id, messageId: message.id, text: "mine now" }), "NOT_FOUND");
      await refusal(deleteMessage(d, eve.id, { roomId: team.id, messageId: message.id }), "NOT_FOUND");
      expect((await d.messages.get(team.id, 1))?.text).to.equal("hello");
    });

    it("a member who left can no longer send or read: NOT_FOUND", async () => {
      await leaveRoom(d, bob.id, team.id);
      await refusal(send(bob), "NOT_FOUND");
      await refusal(listMessages(d, bob.id, team.id, { limit: 10 }), "NOT_FOUND");
    });

    it("a member may not edit or delete someone else's message: FORBIDDEN, and it is unchanged", async () => {
      const { message } = await send(ann, "ann's");
      await refusal(editMessage(d, bob.id, { roomId: team.id, messageId: message.id, text: "bob's now" }), "FORBIDDEN");
      await refusal(deleteMessage(d, bob.id, { roomId: team.id, messageId: message.id }), "FORBIDDEN");
      expect(await d.messages.get(team.id, message.seq)).to.deep.equal(message);
    });

    it("sync answers NOT_FOUND per room for rooms the user is not in, and the messages of the others", async () => {
      await messagesIn(d, team.id, ann, 2);
      const other = await group(d, eve, [], "Eve's");
      await messagesIn(d, other.id, eve, 1);
      const result = await syncRooms(d, bob.id, { [team.id]: 0, [other.id]: 0, [UNKNOWN_ID]: 0 });
      expect(result[team.id]?.messages.map((m) => m.seq)).to.deep.equal([1, 2]);
      expect(result[other.id]).to.deep.equal({ messages: [], hasMore: false, rev: 0, error: { code: "NOT_FOUND", message: "no such room" } });
      expect(result[UNKNOWN_ID]).to.deep.equal(result[other.id]);
    });
  });

  describe("sending", () => {
    it("stores the message, broadcasts message:new to the room, calls onMessageStored and tells every member's feed", async () => {
      const { message, created } = await send(ann, "hi all");
      expect(created).to.equal(true);
      expect(message).to.include({ roomId: team.id, seq: 1, senderId: ann.id, type: "text", text: "hi all", id: `${team.id}:1` });
      expect(d.broadcaster.roomEvents("message:new", team.id)).to.deep.equal([message]);
      expect(d.hooks.stored).to.deep.equal([message]);
      expect(d.feed.roomChanges).to.deep.equal([{ roomId: team.id, userIds: [ann.id, bob.id] }]);
    });

    it("seqs are 1,2,3 in send order, whoever sends", async () => {
      const seqs = [];
      for (const who of [ann, bob, ann]) seqs.push((await send(who)).message.seq);
      expect(seqs).to.deep.equal([1, 2, 3]);
    });

    it("concurrent sends get distinct seqs 1..n with no gap, each broadcast once", async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i % 2 ? ann : bob, `m${i}`)));
      expect(results.map((r) => r.message.seq).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(d.broadcaster.roomEvents("message:new")).to.have.length(20);
    });

    it("each room counts its own seqs", async () => {
      const other = await group(d, ann, [], "Other");
      await send(ann);
      await send(ann);
      expect((await send(ann, "x", { roomId: other.id })).message.seq).to.equal(1);
    });

    it("a repeated clientMsgId returns the stored message and stores nothing, broadcasts nothing", async () => {
      const first = await send(ann, "original", { clientMsgId: "retry-me" });
      d.broadcaster.clear();
      d.feed.clear();
      const again = await send(ann, "changed on retry", { clientMsgId: "retry-me" });
      expect(again).to.deep.equal({ message: first.message, created: false });
      expect(d.messages.appended).to.equal(1);
      expect(d.broadcaster.count).to.equal(0);
      expect(d.feed.roomChanges).to.deep.equal([]);
      expect(d.hooks.stored).to.have.length(1);
      expect((await send(ann)).message.seq, "no seq was used by the retry").to.equal(2);
    });

    it("the same clientMsgId from another sender, or in another room, is a new message", async () => {
      await send(ann, "a", { clientMsgId: "same" });
      const fromBob = await send(bob, "b", { clientMsgId: "same" });
      const other = await group(d, ann, [], "Other");
      const elsewhere = await send(ann, "c", { clientMsgId: "same", roomId: other.id });
      expect([fromBob.created, fromBob.message.seq, elsewhere.created, elsewhere.message.seq]).to.deep.equal([true, 2, true, 1]);
    });

    it("a retry of a message since deleted returns it deleted, created false, and does not bring it back", async () => {
      const { message } = await send(ann, "oops", { clientMsgId: "k" });
      await deleteMessage(d, ann.id, { roomId: team.id, messageId: message.id });
      const again = await send(ann, "oops", { clientMsgId: "k" });
      expect(again.created).to.equal(false);
      expect(again.message).to.include({ seq: 1, text: "" });
      expect(again.message.deletedAt).to.be.a("string");
    });

    it("moves the sender's read cursor to their message, written behind (after flush), without a receipt", async () => {
      await messagesIn(d, team.id, bob, 2);
      const { message } = await send(ann);
      expect((await d.rooms.membership(team.id, ann.id))?.lastReadSeq, "not before the batch is written").to.equal(0);
      await d.rooms.flush();
      expect((await d.rooms.membership(team.id, ann.id))?.lastReadSeq).to.equal(message.seq);
      expect((await d.rooms.membership(team.id, bob.id))?.lastReadSeq, "the others' cursors stay").to.equal(0);
      expect(d.broadcaster.roomEvents("receipt:updated")).to.deep.equal([]);
    });

    it("an empty or blank text is VALIDATION; a text of exactly the maximum is accepted, one more is not", async () => {
      await refusal(send(ann, ""), "VALIDATION");
      await refusal(send(ann, " \n\t "), "VALIDATION");
      expect((await send(ann, "x".repeat(MESSAGE_TEXT_MAX))).created).to.equal(true);
      const err = await refusal(send(ann, "x".repeat(MESSAGE_TEXT_MAX + 1)), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "text");
      expect(d.messages.appended).to.equal(1);
    });

    it("text the store cannot hold (a NUL) is VALIDATION from the store, and nothing is broadcast", async () => {
      await refusal(send(ann, "a\u0000b"), "VALIDATION");
      expect(d.broadcaster.count).to.equal(0);
    });

    it("when the store fails, the send fails and nothing is broadcast or announced", async () => {
      d.messages.failNextAppends(new Error("database gone"));
      let error: unknown;
      await send(ann).catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(Error).with.property("message", "database gone");
      expect(d.broadcaster.count).to.equal(0);
      expect(d.feed.roomChanges).to.deep.equal([]);
      expect(d.rooms.pendingReadCursors().size).to.equal(0);
    });
  });

  describe("attachments on send", () => {
    const upload = async (who: UserRecord, roomId: string, id = crypto.randomUUID()) =>
      d.attachmentRepo.create({ id, roomId, uploaderId: who.id, name: "a.txt", size: 3, contentType: "text/plain", storageKey: `attachments/${roomId}/${id}`, thumbnailKey: null });

    it("a message of attachments only may have empty text, and is of type file", async () => {
      const a = await upload(ann, team.id);
      const { message } = await send(ann, "", { attachmentIds: [a.id] });
      expect(message.type).to.equal("file");
      expect(message.attachments).to.deep.equal([{ id: a.id, name: "a.txt", size: 3, contentType: "text/plain", url: `/api/attachments/${a.id}` }]);
    });

    it("only the sender's own uploads to this very room can be attached: VALIDATION otherwise", async () => {
      const bobs = await upload(bob, team.id);
      const elsewhere = await upload(ann, (await group(d, ann, [], "Other")).id);
      await refusal(send(ann, "", { attachmentIds: [bobs.id] }), "VALIDATION");
      await refusal(send(ann, "", { attachmentIds: [elsewhere.id] }), "VALIDATION");
      await refusal(send(ann, "", { attachmentIds: [UNKNOWN_ID] }), "VALIDATION");
      expect(d.messages.appended).to.equal(0);
    });

    it("without an attachment resolver, attachments are VALIDATION", async () => {
      const a = await upload(ann, team.id);
      d.attachments = undefined as never;
      const err = await refusal(send(ann, "x", { attachmentIds: [a.id] }), "VALIDATION");
      expect(err.message).to.match(/not supported/);
    });
  });

  describe("editing and deleting", () => {
    let mine: Message;
    beforeEach(async () => {
      mine = (await send(ann, "first")).message;
      await send(bob, "second");
      d.broadcaster.clear();
      d.feed.clear();
    });

    it("the sender edits their message: stored, broadcast as message:updated, onMessageChanged, feed told", async () => {
      const edited = await editMessage(d, ann.id, { roomId: team.id, messageId: mine.id, text: "first, fixed" });
      expect(edited).to.include({ seq: 1, text: "first, fixed" });
      expect(edited.editedAt).to.be.a("string");
      expect(await d.messages.get(team.id, 1)).to.deep.equal(edited);
      expect(d.broadcaster.roomEvents("message:updated", team.id)).to.deep.equal([edited]);
      expect(d.hooks.changed).to.deep.equal([edited]);
      expect(d.feed.roomChanges).to.deep.equal([{ roomId: team.id, userIds: [ann.id, bob.id] }]);
    });

    it("an edit to an empty text is VALIDATION", async () => {
      await refusal(editMessage(d, ann.id, { roomId: team.id, messageId: mine.id, text: "  " }), "VALIDATION");
    });

    it("the sender deletes their message: it keeps its seq, loses its text, and is broadcast", async () => {
      const deleted = await deleteMessage(d, ann.id, { roomId: team.id, messageId: mine.id });
      expect(deleted).to.include({ seq: 1, text: "" });
      expect(deleted.deletedAt).to.be.a("string");
      expect(d.broadcaster.roomEvents("message:updated")).to.deep.equal([deleted]);
      expect((await listMessages(d, bob.id, team.id, { limit: 10 })).messages.map((m) => m.seq)).to.deep.equal([1, 2]);
    });

    it("a deleted message can be neither edited nor deleted again: CONFLICT", async () => {
      await deleteMessage(d, ann.id, { roomId: team.id, messageId: mine.id });
      d.broadcaster.clear();
      await refusal(editMessage(d, ann.id, { roomId: team.id, messageId: mine.id, text: "back" }), "CONFLICT");
      await refusal(deleteMessage(d, ann.id, { roomId: team.id, messageId: mine.id }), "CONFLICT");
      expect(d.broadcaster.count).to.equal(0);
    });

    it("a message id of another room, a malformed one, or a seq not yet used is NOT_FOUND", async () => {
      const other = await group(d, ann, [], "Other");
      const { message: there } = await send(ann, "there", { roomId: other.id });
      for (const messageId of [there.id, "garbage", `${team.id}:0`, `${team.id}:01`, `${team.id}:3`]) {
        await refusal(editMessage(d, ann.id, { roomId: team.id, messageId, text: "x" }), "NOT_FOUND");
      }
      expect((await d.messages.get(other.id, 1))?.text).to.equal("there");
    });
  });

  describe("paging and sync", () => {
    beforeEach(async () => {
      await messagesIn(d, team.id, ann, 12);
    });

    it("pages newest first by default, then before and after a seq, ascending within a page", async () => {
      const seqs = async (q: { before?: number; after?: number; limit: number }) => {
        const page = await listMessages(d, bob.id, team.id, q);
        return [page.messages.map((m) => m.seq), page.hasMore];
      };
      expect(await seqs({ limit: 5 })).to.deep.equal([[8, 9, 10, 11, 12], true]);
      expect(await seqs({ before: 8, limit: 5 })).to.deep.equal([[3, 4, 5, 6, 7], true]);
      expect(await seqs({ after: 9, limit: 5 })).to.deep.equal([[10, 11, 12], false]);
    });

    it("before and after together are VALIDATION", async () => {
      const err = await refusal(listMessages(d, bob.id, team.id, { before: 5, after: 2, limit: 5 }), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "after");
    });

    it(`caps a page at ${PAGE_LIMIT_MAX} messages`, async () => {
      await messagesIn(d, team.id, ann, PAGE_LIMIT_MAX);
      const page = await listMessages(d, bob.id, team.id, { after: 0, limit: 10_000 });
      expect(page.messages).to.have.length(PAGE_LIMIT_MAX);
      expect(page.hasMore).to.equal(true);
    });

    it("sync returns exactly the messages after each room's last seen seq", async () => {
      const result = await syncRooms(d, bob.id, { [team.id]: 9 });
      expect(result[team.id]?.messages.map((m) => m.seq)).to.deep.equal([10, 11, 12]);
      expect(result[team.id]?.hasMore).to.equal(false);
    });

    it(`sync of more than ${SYNC_ROOMS_MAX} rooms is VALIDATION`, async () => {
      const rooms = Object.fromEntries(Array.from({ length: SYNC_ROOMS_MAX + 1 }, (_, i) => [`room-${i}`, 0]));
      await refusal(syncRooms(d, bob.id, rooms), "VALIDATION");
    });
  });
});
