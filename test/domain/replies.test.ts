// Replies (src/domain/replies.ts and the send path in src/domain/messages.ts) on the in-memory
// fakes: PROTOCOL.md "Conversations". What a reply shows of its original (read when the reply is
// read, so it follows edits and deletes), which originals are allowed, and the replies listing.
import { expect } from "chai";
import { REPLY_EXCERPT_MAX, type Message } from "../../src/domain/message.js";
import { deleteMessage, editMessage, listMessages, sendMessage } from "../../src/domain/messages.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { excerptOf, listReplies, withReplyExcerpts } from "../../src/domain/replies.js";
import { leaveRoom } from "../../src/domain/rooms.js";
import { catchUp } from "../../src/domain/timeline.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("replies (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  let n = 0;
  const send = (who: UserRecord, text: string, replyToSeq?: number, roomId = team.id) =>
    sendMessage(d, who.id, { roomId, clientMsgId: `c${++n}`, text, ...(replyToSeq === undefined ? {} : { replyToSeq }) });
  const roomRev = async (roomId = team.id) => (await d.messages.heads([roomId])).get(roomId)!.rev;

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
    team = await group(d, ann, [bob]);
  });

  describe("excerptOf", () => {
    const original = (text: string, over: Partial<Message> = {}): Message => ({
      id: "r:7", roomId: "r", seq: 7, rev: 7, senderId: "u", type: "text", text, attachments: [], reactions: [], clientMsgId: null, createdAt: new Date(0).toISOString(), ...over,
    });

    it(`keeps a text of up to ${REPLY_EXCERPT_MAX} characters whole, with the original's seq and sender`, () => {
      expect(excerptOf(original("short"))).to.deep.equal({ seq: 7, senderId: "u", text: "short" });
      const exact = "x".repeat(REPLY_EXCERPT_MAX);
      expect(excerptOf(original(exact)).text).to.equal(exact);
    });

    it(`cuts a longer text at ${REPLY_EXCERPT_MAX} code points, never inside a surrogate pair`, () => {
      expect(excerptOf(original("x".repeat(REPLY_EXCERPT_MAX + 50))).text).to.equal("x".repeat(REPLY_EXCERPT_MAX));
      expect(excerptOf(original("😀".repeat(REPLY_EXCERPT_MAX + 1))).text).to.equal("😀".repeat(REPLY_EXCERPT_MAX));
      const text = `${"a".repeat(REPLY_EXCERPT_MAX - 1)}😀b`;
      const cut = excerptOf(original(text)).text!;
      expect(cut).to.equal(`${"a".repeat(REPLY_EXCERPT_MAX - 1)}😀`);
      expect(cut.length, "the pair is kept whole: 201 UTF-16 units").to.equal(REPLY_EXCERPT_MAX + 1);
    });

    it("is null for a deleted original", () => {
      expect(excerptOf(original("", { deletedAt: new Date(0).toISOString() }))).to.deep.equal({ seq: 7, senderId: "u", text: null });
    });
  });

  describe("sending a reply", () => {
    it("the reply carries replyToSeq and replyTo (seq, sender, text), in the answer and in the broadcast", async () => {
      await send(ann, "the question");
      const { message } = await send(bob, "the answer", 1);
      expect(message.replyToSeq).to.equal(1);
      expect(message.replyTo).to.deep.equal({ seq: 1, senderId: ann.id, text: "the question" });
      const sent = d.broadcaster.roomEvents("message:new", team.id) as Message[];
      expect(sent.at(-1)).to.deep.equal(message);
    });

    it("with a store that indexes with its messages, a failed excerpt read does not fail a reply already stored", async () => {
      await send(ann, "the question");
      // As PgMessageStore: it checks the target and writes the reply entry in the append itself.
      Object.defineProperty(d.messages, "indexesWithMessages", { value: true });
      d.messages.get = () => Promise.reject(new Error("read failed"));
      const { message, created } = await send(bob, "the answer", 1);
      expect(created).to.equal(true);
      expect(message).to.include({ replyToSeq: 1 }).and.not.have.property("replyTo");
      const sent = d.broadcaster.roomEvents("message:new", team.id) as Message[];
      expect(sent.at(-1)).to.deep.include({ seq: message.seq, text: "the answer" });
      // The store wrote the entry: the use case wrote none through the port.
      expect((await d.replies.list(team.id, 1, { limit: 10 })).seqs).to.deep.equal([]);
    });

    it(`replyTo quotes the first ${REPLY_EXCERPT_MAX} characters (code points) of a long original, never half an emoji`, async () => {
      const long = `${"a".repeat(REPLY_EXCERPT_MAX - 1)}😀${"b".repeat(300)}`;
      await send(ann, long);
      await send(ann, "🙂".repeat(300));
      const toLong = (await send(bob, "re 1", 1)).message;
      const toEmoji = (await send(bob, "re 2", 2)).message;
      expect(toLong.replyTo?.text).to.equal(`${"a".repeat(REPLY_EXCERPT_MAX - 1)}😀`);
      expect(toEmoji.replyTo?.text).to.equal("🙂".repeat(REPLY_EXCERPT_MAX));
      const read = (await listMessages(d, ann.id, team.id, { limit: 10 })).messages;
      expect(read.map((m) => m.replyTo?.text)).to.deep.equal([undefined, undefined, toLong.replyTo?.text, toEmoji.replyTo?.text]);
    });

    it("a message that is not a reply has no replyTo", async () => {
      const { message } = await send(ann, "plain");
      expect(message).to.not.have.property("replyTo");
      expect(message).to.not.have.property("replyToSeq");
    });

    it("a reply to a reply quotes the message it answers, not the thread's first", async () => {
      await send(ann, "one");
      await send(bob, "two", 1);
      const { message } = await send(ann, "three", 2);
      expect(message.replyTo).to.deep.equal({ seq: 2, senderId: bob.id, text: "two" });
    });

    it("a retried reply (same clientMsgId) answers the stored reply with its replyTo, and stores nothing", async () => {
      await send(ann, "q");
      const first = await sendMessage(d, bob.id, { roomId: team.id, clientMsgId: "again", text: "a", replyToSeq: 1 });
      const again = await sendMessage(d, bob.id, { roomId: team.id, clientMsgId: "again", text: "a", replyToSeq: 1 });
      expect(again).to.deep.equal({ message: first.message, created: false });
      expect(d.messages.appended).to.equal(2);
    });

    it("replyToSeq of no message of this room is VALIDATION on replyToSeq, and nothing is stored or broadcast", async () => {
      await send(ann, "only one");
      const other = await group(d, ann, [bob], "Other");
      await messagesIn(d, other.id, ann, 5);
      d.broadcaster.clear();
      const rev = await roomRev();
      for (const replyToSeq of [2, 5, 0, -1, 1_000_000]) {
        const err = await refusal(send(bob, "re", replyToSeq), "VALIDATION");
        expect(err, `replyToSeq ${replyToSeq}`).to.have.nested.property("errors[0].path", "replyToSeq");
      }
      expect(await roomRev()).to.equal(rev);
      expect((await d.messages.heads([team.id])).get(team.id)?.lastSeq).to.equal(1);
      expect(d.broadcaster.count).to.equal(0);
      expect((await listReplies(d, ann.id, team.id, 1, { limit: 10 })).messages).to.deep.equal([]);
    });

    it("a non-member's reply is NOT_FOUND, not VALIDATION, even with a bad replyToSeq", async () => {
      await send(ann, "q");
      await refusal(send(eve, "re", 1), "NOT_FOUND");
      await refusal(send(eve, "re", 99), "NOT_FOUND");
    });
  });

  describe("the excerpt is read when the reply is read", () => {
    let reply: Message;
    beforeEach(async () => {
      await send(ann, "before the edit");
      reply = (await send(bob, "a reply", 1)).message;
    });

    it("follows an edit of the original (listMessages and catchUp)", async () => {
      await editMessage(d, ann.id, { roomId: team.id, messageId: `${team.id}:1`, text: "after the edit" });
      const page = await listMessages(d, bob.id, team.id, { after: 1, limit: 10 });
      expect(page.messages.map((m) => m.replyTo)).to.deep.equal([{ seq: 1, senderId: ann.id, text: "after the edit" }]);
      const caught = await catchUp(d, bob.id, team.id, { afterSeq: 0 }, 10);
      expect(caught.messages.find((m) => m.seq === reply.seq)?.replyTo?.text).to.equal("after the edit");
    });

    it("turns to text null once the original is deleted, keeping seq and sender (listMessages and catchUp)", async () => {
      await deleteMessage(d, ann.id, { roomId: team.id, messageId: `${team.id}:1` });
      const page = await listMessages(d, bob.id, team.id, { after: 1, limit: 10 });
      expect(page.messages.map((m) => m.replyTo)).to.deep.equal([{ seq: 1, senderId: ann.id, text: null }]);
      const caught = await catchUp(d, bob.id, team.id, { afterSeq: 1, afterRev: 0 }, 10);
      expect(caught.messages.map((m) => m.replyTo)).to.deep.equal([{ seq: 1, senderId: ann.id, text: null }]);
    });

    it("withReplyExcerpts fills in replyTo for every reply of a list and leaves the others as they are", async () => {
      const stored = [(await d.messages.get(team.id, 1))!, (await d.messages.get(team.id, 2))!];
      expect(stored[1]).to.not.have.property("replyTo");
      const filled = await withReplyExcerpts(d, team.id, stored);
      expect(filled[0]).to.deep.equal(stored[0]);
      expect(filled[1]?.replyTo).to.deep.equal({ seq: 1, senderId: ann.id, text: "before the edit" });
    });
  });

  describe("listReplies", () => {
    beforeEach(async () => {
      await send(ann, "original"); // 1
      await send(ann, "another"); // 2
      for (let i = 0; i < 5; i++) {
        await send(bob, `re ${i}`, 1); // 3, 5, 7, 9, 11
        await send(ann, `elsewhere ${i}`, 2); // 4, 6, 8, 10, 12
      }
    });

    it("lists the replies to one message, ascending by seq, each with its replyTo", async () => {
      const page = await listReplies(d, ann.id, team.id, 1, { limit: 10 });
      expect(page.messages.map((m) => m.seq)).to.deep.equal([3, 5, 7, 9, 11]);
      expect(page.messages.map((m) => m.text)).to.deep.equal(["re 0", "re 1", "re 2", "re 3", "re 4"]);
      expect(page.messages.every((m) => m.replyTo?.seq === 1 && m.replyTo.text === "original")).to.equal(true);
      expect(page.hasMore).to.equal(false);
    });

    it("pages with after and limit, with hasMore, neither repeating nor skipping", async () => {
      const first = await listReplies(d, bob.id, team.id, 1, { limit: 2 });
      expect([first.messages.map((m) => m.seq), first.hasMore]).to.deep.equal([[3, 5], true]);
      const second = await listReplies(d, bob.id, team.id, 1, { after: 5, limit: 2 });
      expect([second.messages.map((m) => m.seq), second.hasMore]).to.deep.equal([[7, 9], true]);
      const third = await listReplies(d, bob.id, team.id, 1, { after: 9, limit: 2 });
      expect([third.messages.map((m) => m.seq), third.hasMore]).to.deep.equal([[11], false]);
      const exact = await listReplies(d, bob.id, team.id, 1, { after: 5, limit: 3 });
      expect([exact.messages.map((m) => m.seq), exact.hasMore]).to.deep.equal([[7, 9, 11], false]);
    });

    it("a message without replies lists none", async () => {
      const page = await listReplies(d, ann.id, team.id, 3, { limit: 10 });
      expect(page).to.deep.equal({ messages: [], hasMore: false });
    });

    it("a deleted reply stays listed, as deleted", async () => {
      await deleteMessage(d, bob.id, { roomId: team.id, messageId: `${team.id}:5` });
      const page = await listReplies(d, ann.id, team.id, 1, { limit: 10 });
      expect(page.messages.map((m) => m.seq)).to.deep.equal([3, 5, 7, 9, 11]);
      expect(page.messages[1]?.deletedAt).to.be.a("string");
    });

    it("a non-member is NOT_FOUND, the same as for a room that does not exist", async () => {
      const stranger = await refusal(listReplies(d, eve.id, team.id, 1, { limit: 10 }), "NOT_FOUND");
      const missing = await refusal(listReplies(d, eve.id, UNKNOWN_ID, 1, { limit: 10 }), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
    });

    it("a member who left is NOT_FOUND", async () => {
      await leaveRoom(d, bob.id, team.id);
      await refusal(listReplies(d, bob.id, team.id, 1, { limit: 10 }), "NOT_FOUND");
    });

    it("a seq with no message in the room is NOT_FOUND", async () => {
      await refusal(listReplies(d, ann.id, team.id, 99, { limit: 10 }), "NOT_FOUND");
    });
  });
});
