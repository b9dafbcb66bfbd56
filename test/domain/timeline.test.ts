// Catching up with a room's timeline (src/domain/timeline.ts) on the in-memory fakes: PROTOCOL.md
// guarantee 3 and "Conversations". New messages by seq; older messages changed after a rev
// (edited, deleted, reacted to, pinned) in `updated`, in their current state; paging by rev.
import { expect } from "chai";
import type { Message } from "../../src/domain/message.js";
import { deleteMessage, editMessage, PAGE_LIMIT_MAX, sendMessage } from "../../src/domain/messages.js";
import { pin } from "../../src/domain/pins.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { react } from "../../src/domain/reactions.js";
import { leaveRoom } from "../../src/domain/rooms.js";
import { catchUp, listChanges, syncRooms, type CatchUp, type RoomPosition } from "../../src/domain/timeline.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { UNKNOWN_ID } from "../fakes/ids.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

describe("timeline (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  let n = 0;

  const roomRev = async (roomId = team.id) => (await d.messages.heads([roomId])).get(roomId)!.rev;
  const mid = (seq: number) => `${team.id}:${seq}`;
  const edit = (seq: number, text: string) => editMessage(d, ann.id, { roomId: team.id, messageId: mid(seq), text });
  const remove = (seq: number) => deleteMessage(d, ann.id, { roomId: team.id, messageId: mid(seq) });
  const reactTo = (seq: number, emoji = "👍", who = bob) => react(d, who.id, { roomId: team.id, seq, emoji }, true);
  const pinIt = (seq: number) => pin(d, ann.id, { roomId: team.id, seq }, true);
  const send = (who: UserRecord, text = "new", extra: { replyToSeq?: number } = {}) =>
    sendMessage(d, who.id, { roomId: team.id, clientMsgId: `c${++n}`, text, ...extra });
  const seqs = (messages: Message[] | undefined) => (messages ?? []).map((m) => m.seq);

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, eve] = await users(d, "Ann", "Bob", "Eve");
    team = await group(d, ann, [bob]);
    await messagesIn(d, team.id, ann, 6); // seqs 1..6, rev 6
  });

  describe("catchUp with afterRev", () => {
    it("answers exactly the new messages in `messages` and exactly the older ones changed after afterRev in `updated`, in their current state", async () => {
      const known: RoomPosition = { afterSeq: 6, afterRev: await roomRev() };
      expect(known.afterRev).to.equal(6);
      await edit(1, "edited once"); // rev 7
      await remove(2); // rev 8
      await reactTo(3); // rev 9
      await pinIt(4); // rev 10, and the notice: seq 7, rev 11
      await edit(1, "edited twice"); // rev 12
      await reactTo(4, "🎉"); // rev 13
      await send(bob, "eight"); // seq 8, rev 14
      await send(bob, "nine"); // seq 9, rev 15
      await reactTo(9, "👀", ann); // rev 16: a new message changed is still only new

      const result = await catchUp(d, bob.id, team.id, known, 50);
      expect(seqs(result.messages), "new messages, by seq").to.deep.equal([7, 8, 9]);
      expect(seqs(result.updated), "older messages changed, ascending by rev, each once").to.deep.equal([2, 3, 1, 4]);
      expect(result.hasMore).to.equal(false);
      expect(result.rev).to.equal(16);
      expect(result.rev).to.equal(await roomRev());

      const byseq = new Map(result.updated!.map((m) => [m.seq, m]));
      expect(byseq.get(1)).to.include({ text: "edited twice", rev: 12 });
      expect(byseq.get(2)).to.include({ text: "" });
      expect(byseq.get(2)?.deletedAt).to.be.a("string");
      expect(byseq.get(3)?.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [bob.id], me: true }]);
      expect(byseq.get(4)).to.include({ pinnedBy: ann.id });
      expect(byseq.get(4)?.reactions?.map((r) => r.emoji)).to.deep.equal(["🎉"]);
      expect(result.messages[0]).to.include({ type: "system", replyToSeq: 4 });
      expect(result.messages[0]?.replyTo).to.deep.equal({ seq: 4, senderId: ann.id, text: "m4" });
      expect(result.messages[2]?.reactions?.map((r) => r.emoji)).to.deep.equal(["👀"]);
      expect(byseq.has(5) || byseq.has(6), "untouched messages are not in updated").to.equal(false);
    });

    it("from the rev and seq it answered, a second catch-up answers nothing", async () => {
      await edit(1, "x");
      await reactTo(2);
      await send(bob);
      const first = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: 6 }, 50);
      const last = Math.max(6, ...seqs(first.messages));
      const second = await catchUp(d, bob.id, team.id, { afterSeq: last, afterRev: first.rev }, 50);
      expect(second).to.deep.equal({ messages: [], updated: [], hasMore: false, rev: first.rev });
    });

    it("a change after that rev is then caught by the next catch-up, and only it", async () => {
      await edit(1, "x");
      const first = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: 6 }, 50);
      await edit(3, "later");
      const second = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: first.rev }, 50);
      expect(seqs(second.updated)).to.deep.equal([3]);
      expect(second.updated![0]).to.include({ text: "later" });
      expect(second.messages).to.deep.equal([]);
    });

    it("with nothing changed, `updated` is empty and `rev` is the room's", async () => {
      const result = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: 6 }, 50);
      expect(result).to.deep.equal({ messages: [], updated: [], hasMore: false, rev: 6 });
    });

    it("a change that changes nothing (the same reaction again) does not show up", async () => {
      await reactTo(1);
      const first = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: 6 }, 50);
      await reactTo(1);
      const second = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: first.rev }, 50);
      expect(second.updated).to.deep.equal([]);
    });

    it("without afterSeq (room:join with only afterRev), every message changed or created after afterRev is in `updated`", async () => {
      await edit(2, "x");
      await send(bob, "new");
      const result = await catchUp(d, bob.id, team.id, { afterRev: 6 }, 50);
      expect(result.messages).to.deep.equal([]);
      expect(seqs(result.updated)).to.deep.equal([2, 7]);
      expect(result.rev).to.equal(8);
    });

    it("an edit of a reply's original shows in the reply's excerpt and the original is in `updated`", async () => {
      await send(bob, "re 3", { replyToSeq: 3 }); // seq 7
      await edit(3, "m3, edited");
      const result = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: 6 }, 50);
      expect(seqs(result.updated)).to.deep.equal([3]);
      expect(result.messages.map((m) => m.replyTo?.text)).to.deep.equal(["m3, edited"]);
    });
  });

  describe("paging by rev", () => {
    it("with a limit smaller than the changes, following the returned rev gets every change exactly once, in rev order", async () => {
      await messagesIn(d, team.id, ann, 4); // seqs 7..10, rev 10
      const start = await roomRev();
      await edit(1, "a");
      await remove(2);
      await reactTo(3);
      await reactTo(4);
      await edit(5, "b");
      await reactTo(6);
      await reactTo(10);
      const pages: CatchUp[] = [];
      let position: RoomPosition = { afterSeq: 10, afterRev: start };
      for (let i = 0; i < 20; i++) {
        const page = await catchUp(d, bob.id, team.id, position, 2);
        pages.push(page);
        position = { afterSeq: 10, afterRev: page.rev };
        if (!page.hasMore) break;
      }
      expect(pages.map((p) => seqs(p.updated))).to.deep.equal([[1, 2], [3, 4], [5, 6], [10]]);
      expect(pages.map((p) => p.hasMore)).to.deep.equal([true, true, true, false]);
      expect(pages.map((p) => p.rev), "each cut page's rev is the last rev it returned").to.deep.equal([12, 14, 16, 17]);
      expect(pages.every((p) => p.messages.length === 0)).to.equal(true);
    });

    it("changes made between pages are not lost", async () => {
      await edit(1, "a");
      await edit(2, "b");
      await edit(3, "c");
      const first = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: 6 }, 2);
      expect(seqs(first.updated)).to.deep.equal([1, 2]);
      await edit(1, "a again");
      await reactTo(5);
      const second = await catchUp(d, bob.id, team.id, { afterSeq: 6, afterRev: first.rev }, 10);
      expect(seqs(second.updated)).to.deep.equal([3, 1, 5]);
      expect(second.updated!.find((m) => m.seq === 1)).to.include({ text: "a again" });
      expect(second.hasMore).to.equal(false);
    });

    it("a client that also takes the new messages and moves afterSeq along gets each message exactly once, and ends in the room's current state", async () => {
      const start: RoomPosition = { afterSeq: 6, afterRev: 6 };
      await edit(1, "a");
      await reactTo(2);
      await send(bob, "seven");
      await remove(3);
      await send(bob, "eight");
      await send(bob, "nine");
      await edit(4, "d");
      await reactTo(5);
      await send(bob, "ten");
      const seen = new Map<number, Message>();
      const delivered: number[] = [];
      let position = start;
      for (let i = 0; i < 20; i++) {
        const page = await catchUp(d, bob.id, team.id, position, 2);
        for (const m of [...page.updated!, ...page.messages]) seen.set(m.seq, m);
        delivered.push(...seqs(page.updated), ...seqs(page.messages));
        position = { afterSeq: Math.max(position.afterSeq!, ...seqs(page.messages)), afterRev: page.rev };
        if (!page.hasMore) break;
      }
      expect(delivered.sort((a, b) => a - b), "each once, none twice").to.deep.equal([1, 2, 3, 4, 5, 7, 8, 9, 10]);
      for (const [seq, m] of seen) expect(m, `seq ${seq} in its current state`).to.deep.equal(await d.messages.get(team.id, seq, bob.id));
      expect(position).to.deep.equal({ afterSeq: 10, afterRev: await roomRev() });
    });
  });

  describe("catchUp without afterRev (the old form)", () => {
    it("answers new messages, hasMore and the room's rev, and no `updated` at all", async () => {
      await edit(1, "changed");
      const result = await catchUp(d, bob.id, team.id, { afterSeq: 4 }, 50);
      expect(Object.keys(result).sort()).to.deep.equal(["hasMore", "messages", "rev"]);
      expect(seqs(result.messages)).to.deep.equal([5, 6]);
      expect(result.rev).to.equal(7);
    });
  });

  describe("syncRooms", () => {
    it("the old number form still answers { messages, hasMore, rev }, without `updated`", async () => {
      await edit(1, "changed");
      await send(bob);
      const result = await syncRooms(d, bob.id, { [team.id]: 5 });
      expect(Object.keys(result[team.id]!).sort()).to.deep.equal(["hasMore", "messages", "rev"]);
      expect(seqs(result[team.id]!.messages)).to.deep.equal([6, 7]);
      expect(result[team.id]!.rev).to.equal(await roomRev());
      expect(result[team.id]!.hasMore).to.equal(false);
    });

    it("the { afterSeq, afterRev } form answers `updated` as well", async () => {
      await edit(1, "changed");
      await reactTo(6);
      await send(bob);
      const result = await syncRooms(d, bob.id, { [team.id]: { afterSeq: 6, afterRev: 6 } });
      expect(seqs(result[team.id]!.messages)).to.deep.equal([7]);
      expect(seqs(result[team.id]!.updated)).to.deep.equal([1, 6]);
      expect(result[team.id]!.rev).to.equal(await roomRev());
    });

    it("both forms in one call, each room answered in its own form; a room the user is not in is NOT_FOUND per room", async () => {
      const other = await group(d, bob, [ann], "Other");
      await messagesIn(d, other.id, ann, 3);
      const elsewhere = await group(d, eve, [], "Eve's");
      await edit(2, "x");
      const result = await syncRooms(d, bob.id, { [team.id]: { afterSeq: 6, afterRev: 6 }, [other.id]: 1, [elsewhere.id]: { afterSeq: 0, afterRev: 0 } });
      expect(seqs(result[team.id]!.updated)).to.deep.equal([2]);
      expect(result[other.id]).to.not.have.property("updated");
      expect(seqs(result[other.id]!.messages)).to.deep.equal([2, 3]);
      expect(result[elsewhere.id]).to.deep.equal({ messages: [], hasMore: false, rev: 0, error: { code: "NOT_FOUND", message: "no such room" } });
    });

    it("a member who left gets NOT_FOUND for the room", async () => {
      await leaveRoom(d, bob.id, team.id);
      const result = await syncRooms(d, bob.id, { [team.id]: { afterSeq: 0, afterRev: 0 } });
      expect(result[team.id]).to.have.nested.property("error.code", "NOT_FOUND");
      expect(result[team.id]!.messages).to.deep.equal([]);
    });
  });

  describe("listChanges", () => {
    it("answers every message with rev > afterRev, new ones included, ascending by rev, and the room's rev", async () => {
      await reactTo(4);
      await send(bob, "seven", { replyToSeq: 1 });
      await edit(1, "m1!");
      const page = await listChanges(d, bob.id, team.id, { afterRev: 6, limit: 50 });
      expect(seqs(page.messages)).to.deep.equal([4, 7, 1]);
      expect(page.messages.map((m) => m.rev)).to.deep.equal([7, 8, 9]);
      expect(page.messages[1]?.replyTo).to.deep.equal({ seq: 1, senderId: ann.id, text: "m1!" });
      expect(page.messages[0]?.reactions?.[0]).to.include({ me: true });
      expect(page).to.include({ rev: 9, hasMore: false });
    });

    it("pages by the returned rev without loss or repeat", async () => {
      for (const seq of [6, 1, 3, 5, 2]) await edit(seq, `e${seq}`);
      const first = await listChanges(d, bob.id, team.id, { afterRev: 6, limit: 3 });
      expect([seqs(first.messages), first.rev, first.hasMore]).to.deep.equal([[6, 1, 3], 9, true]);
      const second = await listChanges(d, bob.id, team.id, { afterRev: first.rev, limit: 3 });
      expect([seqs(second.messages), second.rev, second.hasMore]).to.deep.equal([[5, 2], 11, false]);
    });

    it("from rev 0 lists the whole room", async () => {
      expect(seqs((await listChanges(d, bob.id, team.id, { afterRev: 0, limit: 50 })).messages)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    });

    it(`caps a page at ${PAGE_LIMIT_MAX}`, async () => {
      await messagesIn(d, team.id, ann, PAGE_LIMIT_MAX);
      const page = await listChanges(d, bob.id, team.id, { afterRev: 0, limit: 10_000 });
      expect(page.messages).to.have.length(PAGE_LIMIT_MAX);
      expect(page.hasMore).to.equal(true);
    });

    it("a non-member is NOT_FOUND, the same as for a room that does not exist", async () => {
      const stranger = await refusal(listChanges(d, eve.id, team.id, { afterRev: 0, limit: 10 }), "NOT_FOUND");
      const missing = await refusal(listChanges(d, eve.id, UNKNOWN_ID, { afterRev: 0, limit: 10 }), "NOT_FOUND");
      expect(stranger.message).to.equal(missing.message);
    });

    it("a member who left is NOT_FOUND", async () => {
      await leaveRoom(d, bob.id, team.id);
      await refusal(listChanges(d, bob.id, team.id, { afterRev: 0, limit: 10 }), "NOT_FOUND");
    });
  });
});
