// The timeline revision part of the MessageStore contract (src/domain/ports/message-store.ts):
// rev moves by one, with no gaps, atomically with every new message and every change; changes()
// finds exactly what changed after a rev; reactions and pins follow the rules of PROTOCOL.md,
// "Conversations". Called from message-store.contract.ts, so every adapter runs it.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Message } from "../../src/domain/message.js";
import type { MessageStore } from "../../src/domain/ports/message-store.js";
import { DEFAULT_CHUNK_LIMITS } from "../../src/store/message-chunks.js";
import { refusal } from "../fakes/scenario.js";

interface Helpers {
  newRoom(): string;
  fill(roomId: string, n: number): Promise<Message[]>;
  edit(roomId: string, seq: number, text: string, at: Date): Promise<Message | null>;
  remove(roomId: string, seq: number, at: Date): Promise<Message | null>;
}

const T1 = new Date("2026-11-23T11:00:00.000Z");
const seqs = (ms: Message[]) => ms.map((m) => m.seq);
const revs = (ms: Message[]) => ms.map((m) => m.rev);
const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);

export function messageStoreRevisionContract(stores: () => { store: MessageStore; peer?: MessageStore }, h: Helpers): void {
  describe("timeline revision", () => {
    let store: MessageStore;
    before(() => ({ store } = stores()));
    const react = (roomId: string, seq: number, emoji: string, userId: string, add = true) =>
      store.change(roomId, seq, { kind: "react", emoji, userId, add }, T1, userId);

    it("every new message and every change moves rev by one; the message carries it", async () => {
      const room = h.newRoom();
      const sent = await h.fill(room, 3);
      expect(revs(sent)).to.deep.equal([1, 2, 3]);
      expect((await h.edit(room, 1, "one", T1))?.rev).to.equal(4);
      expect((await react(room, 2, "👍", "u1"))?.message.rev).to.equal(5);
      expect((await store.change(room, 3, { kind: "pin", userId: "u1", pinned: true }, T1))?.message.rev).to.equal(6);
      expect((await h.remove(room, 2, T1))?.rev).to.equal(7);
      const [next] = await h.fill(room, 1);
      expect([next?.seq, next?.rev]).to.deep.equal([4, 8]);
      expect((await store.heads([room])).get(room)?.rev).to.equal(8);
    });

    it("a change already in effect changes nothing and keeps rev", async () => {
      const room = h.newRoom();
      await h.fill(room, 1);
      const first = await react(room, 1, "🎉", "u1");
      const again = await react(room, 1, "🎉", "u1");
      expect([first?.changed, again?.changed]).to.deep.equal([true, false]);
      expect(again?.message).to.deep.equal(first?.message);
      expect((await react(room, 1, "🎉", "u2", false))?.changed, "removing what is not there").to.equal(false);
      const unpin = await store.change(room, 1, { kind: "pin", userId: "u1", pinned: false }, T1);
      expect(unpin?.changed).to.equal(false);
      expect((await store.heads([room])).get(room)?.rev).to.equal(2);
      expect(await store.change(room, 9, { kind: "delete" }, T1)).to.equal(null);
      expect(await store.change(h.newRoom(), 1, { kind: "delete" }, T1)).to.equal(null);
    });

    it("changes() gives exactly the messages changed after a rev, in closed chunks and the open one, ascending by rev", async () => {
      const room = h.newRoom();
      const n = DEFAULT_CHUNK_LIMITS.maxCount + 30;
      await h.fill(room, n);
      const base = n;
      // Oldest chunk, open chunk, a message changed twice (it appears once, at its last rev).
      await h.edit(room, 3, "three", T1);
      await react(room, n - 1, "👍", "u1");
      await h.edit(room, 50, "fifty", T1);
      await h.remove(room, 3, T1);
      const [fresh] = await h.fill(room, 1);
      const all = await store.changes(room, { afterRev: base, limit: 50 });
      expect([seqs(all.messages), revs(all.messages), all.rev, all.hasMore]).to.deep.equal([[n - 1, 50, 3, n + 1], [base + 2, base + 3, base + 4, base + 5], base + 5, false]);
      expect(all.messages[2]?.deletedAt).to.be.a("string");
      expect(all.messages[3]).to.deep.equal(fresh);
      // Older messages only (the `updated` of a sync), and paging by rev.
      const older = await store.changes(room, { afterRev: base, limit: 50, maxSeq: n });
      expect(seqs(older.messages)).to.deep.equal([n - 1, 50, 3]);
      const first = await store.changes(room, { afterRev: base, limit: 2 });
      expect([seqs(first.messages), first.rev, first.hasMore]).to.deep.equal([[n - 1, 50], base + 3, true]);
      const rest = await store.changes(room, { afterRev: first.rev, limit: 2 });
      expect([seqs(rest.messages), rest.rev, rest.hasMore]).to.deep.equal([[3, n + 1], base + 5, false]);
      expect(await store.changes(room, { afterRev: base + 5, limit: 10 })).to.deep.equal({ messages: [], rev: base + 5, hasMore: false });
      const everything = await store.changes(room, { afterRev: 0, limit: 1000 });
      expect(everything.messages).to.have.length(n + 1);
      expect(revs(everything.messages)).to.deep.equal([...revs(everything.messages)].sort((a, b) => a - b));
      expect(await store.changes(h.newRoom(), { afterRev: 0, limit: 10 })).to.deep.equal({ messages: [], rev: 0, hasMore: false });
    });

    it("reactions: counted once per user, in first-added order, the viewer's `me`, at most 20 distinct emoji", async () => {
      const room = h.newRoom();
      await h.fill(room, 1);
      await react(room, 1, "👍", "u1");
      await react(room, 1, "❤️", "u2");
      await react(room, 1, "👍", "u2");
      const seen = await store.get(room, 1, "u2");
      expect(seen?.reactions).to.deep.equal([
        { emoji: "👍", count: 2, userIds: ["u1", "u2"], me: true },
        { emoji: "❤️", count: 1, userIds: ["u2"], me: true },
      ]);
      expect((await store.get(room, 1, "u1"))?.reactions?.map((r) => r.me)).to.deep.equal([true, false]);
      expect((await store.get(room, 1))?.reactions?.[0], "no viewer: no me").to.deep.equal({ emoji: "👍", count: 2, userIds: ["u1", "u2"] });
      for (let i = 1; i <= 12; i++) await react(room, 1, "👍", `x${i}`);
      const many = (await store.get(room, 1))?.reactions?.[0];
      expect([many?.count, many?.userIds.length]).to.deep.equal([14, 10]);
      await react(room, 1, "❤️", "u2", false);
      expect((await store.get(room, 1))?.reactions?.map((r) => r.emoji), "the last one gone: the emoji goes").to.deep.equal(["👍"]);
      for (let i = 2; i <= 20; i++) await react(room, 1, `:e${i}:`, "u1");
      await refusal(react(room, 1, ":e21:", "u1"), "CONFLICT");
      expect((await react(room, 1, ":e20:", "u9"))?.changed, "an existing emoji still takes more people").to.equal(true);
    });

    it("pins: listed most recent first; a deleted message loses text, reactions and pin; other changes to it are CONFLICT", async () => {
      const room = h.newRoom();
      await h.fill(room, 3);
      await store.change(room, 1, { kind: "pin", userId: "u1", pinned: true }, T1);
      const p3 = await store.change(room, 3, { kind: "pin", userId: "u2", pinned: true }, new Date(T1.getTime() + 1));
      expect([p3?.message.pinnedBy, p3?.message.pinnedAt]).to.deep.equal(["u2", new Date(T1.getTime() + 1).toISOString()]);
      expect(seqs(await store.pinned(room))).to.deep.equal([3, 1]);
      await store.change(room, 3, { kind: "pin", userId: "u2", pinned: false }, T1);
      expect(seqs(await store.pinned(room))).to.deep.equal([1]);
      await react(room, 1, "👍", "u1");
      const deleted = await h.remove(room, 1, T1);
      expect([deleted?.text, deleted?.reactions, deleted?.pinnedAt]).to.deep.equal(["", [], undefined]);
      expect(await store.pinned(room)).to.deep.equal([]);
      await refusal(react(room, 1, "👍", "u2"), "CONFLICT");
      await refusal(store.change(room, 1, { kind: "pin", userId: "u1", pinned: true }, T1), "CONFLICT");
      expect(await store.pinned(h.newRoom())).to.deep.equal([]);
    });

    it("replies and mentions are stored with the message; getMany reads several seqs", async () => {
      const room = h.newRoom();
      await h.fill(room, 2);
      const { message } = await store.append(
        { roomId: room, senderId: "u1", type: "text", text: "re", attachments: [], clientMsgId: randomUUID(), replyToSeq: 1, mentions: ["u2", "u3"], mentionsRoom: true },
        T1,
      );
      expect([message.replyToSeq, message.mentions, message.mentionsRoom]).to.deep.equal([1, ["u2", "u3"], true]);
      expect(await store.get(room, 3)).to.deep.equal(message);
      expect(seqs(await store.getMany(room, [3, 1, 99, 1]))).to.deep.equal([1, 3]);
      expect(await store.getMany(room, [])).to.deep.equal([]);
      expect((await h.remove(room, 3, T1))?.mentions, "a deleted message mentions no one").to.equal(undefined);
    });

    it("concurrent appends and changes, through two instances as two nodes: revs 1..n with no gap or repeat", async () => {
      const { peer } = stores();
      const room = h.newRoom();
      await h.fill(room, 5);
      const other = peer ?? store;
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        const s = i % 2 ? store : other;
        work.push(s.append({ roomId: room, senderId: "u1", type: "text", text: `c${i}`, attachments: [], clientMsgId: randomUUID() }, T1));
        work.push(s.change(room, 1 + (i % 5), { kind: "react", emoji: "👍", userId: `r${i}`, add: true }, T1));
        if (i % 4 === 0) work.push(s.change(room, 1 + (i % 5), { kind: "edit", text: `e${i}` }, T1));
      }
      await Promise.all(work);
      const total = 5 + 20 + 20 + 5;
      const head = (await store.heads([room])).get(room);
      expect([head?.lastSeq, head?.rev]).to.deep.equal([25, total]);
      const all = await store.changes(room, { afterRev: 0, limit: 100 });
      expect(new Set(revs(all.messages)).size, "each message at one rev").to.equal(25);
      expect(Math.max(...revs(all.messages))).to.equal(total);
      expect((await store.get(room, 1))?.reactions?.[0]?.count).to.equal(4);
      expect(range(1, 25)).to.deep.equal(seqs(all.messages).sort((a, b) => a - b));
    });
  });
}
