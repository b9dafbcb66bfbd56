import { expect } from "chai";
import { RoomTimeline } from "../../packages/client/src/index.js";
import { ME, message, OTHER, ROOM } from "./fixtures.js";

const seqs = (t: RoomTimeline) => t.messages().map((m) => m.seq);

describe("client SDK: room timeline", () => {
  it("holds each seq once however often and in whatever order it is applied", () => {
    const t = new RoomTimeline(ROOM);
    t.apply([message(3), message(1)]);
    t.apply([message(2), message(3), message(1)]);
    t.applyCatchUp({ messages: [message(2), message(3)], rev: 3 });
    expect(seqs(t)).to.deep.equal([1, 2, 3]);
    expect(t.size).to.equal(3);
  });

  it("keeps the copy with the newest rev, whichever arrives last", () => {
    const t = new RoomTimeline(ROOM);
    const edited = message(1, { text: "edited", editedAt: "2026-12-06T00:01:00.000Z", rev: 5 });
    t.apply([edited]);
    expect(t.apply([message(1)])).to.deep.equal([]);
    expect(t.get(1)?.text).to.equal("edited");
    const deleted = message(1, { text: "", deletedAt: "2026-12-06T00:02:00.000Z", rev: 6 });
    t.apply([deleted]);
    expect(t.get(1)).to.deep.equal(deleted);
  });

  it("reports only what changed, and tells listeners once per apply", () => {
    const t = new RoomTimeline(ROOM);
    const heard: number[][] = [];
    t.on("messages", (changed) => heard.push(changed.map((m) => m.seq)));
    expect(t.apply([message(1), message(2)]).map((m) => m.seq)).to.deep.equal([1, 2]);
    expect(t.apply([message(1), message(2)])).to.deep.equal([]);
    t.apply([message(2, { rev: 9, text: "again" })]);
    expect(heard).to.deep.equal([[1, 2], [2]]);
  });

  it("ignores messages of other rooms", () => {
    const t = new RoomTimeline(ROOM);
    t.apply([message(1, { roomId: "00000000-0000-4000-8000-000000000002" })]);
    expect(t.size).to.equal(0);
  });

  it("resumes from the last seq with nothing missing below it, not the newest one held", () => {
    const t = new RoomTimeline(ROOM);
    t.applyCatchUp({ messages: [message(1), message(2)], rev: 2 });
    t.apply([message(4, { rev: 4 })]); // 3 came through another node and is not here yet
    expect(t.position()).to.deep.equal({ afterSeq: 2, afterRev: 2 });
    expect(t.newestSeq).to.equal(4);
    t.apply([message(3)]);
    expect(t.position()).to.deep.equal({ afterSeq: 4, afterRev: 4 });
  });

  it("moves its rev through changes seen live only while they have no gap", () => {
    const t = new RoomTimeline(ROOM);
    t.applyCatchUp({ messages: [message(1), message(2)], rev: 2 });
    t.apply([message(1, { text: "edit", rev: 4 })]); // rev 3 (a change to some message) was missed
    expect(t.position().afterRev).to.equal(2);
    t.apply([message(3, { rev: 3 })]);
    expect(t.position().afterRev).to.equal(4);
    t.applyCatchUp({ messages: [], updated: [], rev: 10 });
    expect(t.position().afterRev).to.equal(10);
    t.applyCatchUp({ messages: [], updated: [], rev: 7 }); // an older answer never moves it back
    expect(t.position().afterRev).to.equal(10);
  });

  it("applies a resync's changed older messages in their current state", () => {
    const t = new RoomTimeline(ROOM);
    t.applyCatchUp({ messages: [message(1), message(2)], rev: 2 });
    const reacted = message(1, { rev: 4, reactions: [{ emoji: "👍", count: 1, userIds: [OTHER] }] });
    t.applyCatchUp({ messages: [message(3)], updated: [reacted], rev: 4 });
    expect(t.get(1)?.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: [OTHER] }]);
    expect(t.position()).to.deep.equal({ afterSeq: 3, afterRev: 4 });
  });

  it("starts where it is told to, asking nothing before it", () => {
    const t = new RoomTimeline(ROOM, { from: { afterSeq: 40 } });
    expect(t.position()).to.deep.equal({ afterSeq: 40 });
    t.applyCatchUp({ messages: [message(41)], rev: 60 });
    expect(t.position()).to.deep.equal({ afterSeq: 41, afterRev: 60 });
  });

  it("gives broadcast reactions their `me` from the user ids, and keeps it when they cannot tell", () => {
    const t = new RoomTimeline(ROOM, { userId: ME });
    t.apply([message(1, { rev: 2, reactions: [{ emoji: "🎉", count: 1, userIds: [ME] }] })]);
    expect(t.get(1)?.reactions[0]?.me).to.equal(true);
    // 11 people: the broadcast lists the first 10, and we are not among them.
    const ten = Array.from({ length: 10 }, (_, i) => `u${i}`);
    t.apply([message(1, { rev: 3, reactions: [{ emoji: "🎉", count: 11, userIds: ten }] })]);
    expect(t.get(1)?.reactions[0]?.me).to.equal(true);
    t.apply([message(1, { rev: 4, reactions: [{ emoji: "🎉", count: 10, userIds: ten }] })]);
    expect(t.get(1)?.reactions[0]?.me).to.equal(false);
  });

  /** A room of `count` messages (seq = rev) read in pages as GET …/messages answers them. */
  function pagedRoom(count: number) {
    const all = Array.from({ length: count }, (_, i) => message(i + 1));
    const asked: { before?: number; limit: number }[] = [];
    const pages = async (q: { before?: number; limit: number }) => {
      asked.push(q);
      const below = all.filter((m) => q.before === undefined || m.seq < q.before);
      const messages = below.slice(-q.limit);
      return { messages, hasMore: below.length > messages.length };
    };
    return { all, asked, pages };
  }

  it("opens at the newest page and pages older history in below it, down to the room's first message", async () => {
    const room = pagedRoom(120);
    const t = new RoomTimeline(ROOM, { from: "newest", pages: room.pages, pageSize: 50 });
    expect(t.started).to.equal(false);
    expect(t.hasMoreBefore).to.equal(true);
    const pages: number[][] = [];
    t.on("history", (page) => pages.push([page[0]!.seq, page.at(-1)!.seq]));
    await t.start();
    expect(seqs(t)).to.deep.equal(room.all.slice(70).map((m) => m.seq));
    expect(t.position()).to.deep.equal({ afterSeq: 120, afterRev: 120 });
    expect([t.floor, t.hasMoreBefore]).to.deep.equal([71, true]);
    await t.loadOlder();
    await t.loadOlder();
    expect(seqs(t)).to.deep.equal(room.all.map((m) => m.seq));
    expect([t.floor, t.hasMoreBefore]).to.deep.equal([1, false]);
    expect(await t.loadOlder()).to.deep.equal([]); // at the start: nothing more is asked
    expect(room.asked).to.deep.equal([{ limit: 50 }, { before: 71, limit: 50 }, { before: 21, limit: 50 }]);
    expect(pages).to.deep.equal([[71, 120], [21, 70], [1, 20]]);
    expect(t.position()).to.deep.equal({ afterSeq: 120, afterRev: 120 });
  });

  it("shares one read between callers, and is neither behind nor listing a floor before it starts", async () => {
    const room = pagedRoom(10);
    const t = new RoomTimeline(ROOM, { from: "newest", pages: room.pages });
    t.apply([message(11, { rev: 11 })]); // live, before the first page
    expect(t.behind).to.equal(false);
    expect(seqs(t)).to.deep.equal([11]);
    await Promise.all([t.loadOlder(), t.loadOlder(), t.start()]);
    expect(room.asked).to.have.length(1);
    expect(seqs(t)).to.deep.equal(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(t.hasMoreBefore).to.equal(false);
    expect(t.position()).to.deep.equal({ afterSeq: 11, afterRev: 11 });
  });

  it("holds a change to a message below its floor unlisted, and keeps it over an older copy in the page", async () => {
    const room = pagedRoom(80);
    const t = new RoomTimeline(ROOM, { from: "newest", pages: room.pages, pageSize: 50 });
    await t.start();
    const edited = message(5, { text: "edited", rev: 81 });
    t.applyCatchUp({ messages: [], updated: [edited], rev: 81 });
    expect(t.get(5)?.text).to.equal("edited");
    expect(seqs(t)[0]).to.equal(31);
    expect(t.position()).to.deep.equal({ afterSeq: 80, afterRev: 81 });
    await t.loadOlder(); // its page was read before the edit: the held copy is newer
    expect(t.messages()[4]).to.deep.equal(edited);
  });

  it("pages older history below a position it was opened at", async () => {
    const room = pagedRoom(30);
    const t = new RoomTimeline(ROOM, { from: { afterSeq: 25, afterRev: 25 }, pages: room.pages, pageSize: 10 });
    expect([t.started, t.hasMoreBefore, t.floor]).to.deep.equal([true, true, 26]);
    await t.loadOlder();
    expect(room.asked).to.deep.equal([{ before: 26, limit: 10 }]);
    expect(seqs(t)).to.deep.equal([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(t.position()).to.deep.equal({ afterSeq: 25, afterRev: 25 });
    expect(new RoomTimeline(ROOM).hasMoreBefore, "from the room's start").to.equal(false);
  });

  it("moves read cursors forward only, and counts who has not read a message", () => {
    const t = new RoomTimeline(ROOM);
    expect(t.applyReceipt(ME, 5)).to.equal(true);
    expect(t.applyReceipt(OTHER, 2)).to.equal(true);
    expect(t.applyReceipt(ME, 3)).to.equal(false);
    expect(t.lastReadSeq(ME)).to.equal(5);
    expect(t.unreadBy(3)).to.deep.equal([OTHER]);
    expect(t.unreadBy(6).sort()).to.deep.equal([ME, OTHER].sort());
    t.apply([message(6, { senderId: ME })]);
    expect(t.unreadBy(6), "its sender has read it").to.deep.equal([OTHER]);
  });
});
