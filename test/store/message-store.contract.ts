// The MessageStore contract (src/domain/ports/message-store.ts): every adapter runs this suite.
// Each case uses rooms of its own (random ids), so one store serves the whole suite.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Message } from "../../src/domain/message.js";
import type { MessageDraft, MessageStore } from "../../src/domain/ports/message-store.js";
import { DEFAULT_CHUNK_LIMITS, type ChunkSummary } from "../../src/store/message-chunks.js";
import { refusal } from "../fakes/scenario.js";
import { messageStoreRevisionContract } from "./message-store-revision.contract.js";
import { messageStoreSenderContract } from "./message-store-sender.contract.js";

export interface StoreUnderTest {
  store: MessageStore & { chunkSummaries(roomId: string): Promise<ChunkSummary[]> };
  /** A second instance on the same database, as another node has (none for the in-memory fake). */
  peer?: MessageStore;
  cleanup(): Promise<void>;
}

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const T0 = new Date("2026-11-23T10:00:00.000Z");
const seqs = (ms: Message[]) => ms.map((m) => m.seq);
const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);

export function messageStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`MessageStore contract: ${name}`, function () {
    this.timeout(30_000);
    let sut: StoreUnderTest;
    let store: StoreUnderTest["store"];
    before(async () => {
      sut = await makeStore();
      store = sut.store;
    });
    after(() => sut?.cleanup());

    const newRoom = () => randomUUID();
    const edit = async (roomId: string, seq: number, text: string, at: Date) => (await store.change(roomId, seq, { kind: "edit", text }, at))?.message ?? null;
    const remove = async (roomId: string, seq: number, at: Date) => (await store.change(roomId, seq, { kind: "delete" }, at))?.message ?? null;
    const draft = (roomId: string, over: Partial<MessageDraft> = {}): MessageDraft => ({
      roomId, senderId: "user-a", type: "text", text: "hello", attachments: [], clientMsgId: randomUUID(), ...over,
    });
    const fill = async (roomId: string, n: number, over: (i: number) => Partial<MessageDraft> = () => ({}), now = T0) => {
      const out: Message[] = [];
      for (let i = 1; i <= n; i++) out.push((await store.append(draft(roomId, { text: `m${i}`, ...over(i) }), now)).message);
      return out;
    };
    /** Every message of the room, paged forward with `after`. */
    const readAll = async (roomId: string, limit = 37) => {
      const all: Message[] = [];
      for (let after = 0, more = true; more; ) {
        const page = await store.page(roomId, { after, limit });
        all.push(...page.messages);
        more = page.hasMore;
        after = page.messages.at(-1)?.seq ?? after;
      }
      return all;
    };
    const checkChunks = (chunks: ChunkSummary[], total: number) => {
      expect(chunks[0]?.firstSeq ?? 1).to.equal(1);
      chunks.forEach((c, i) => {
        expect(c.count, "count").to.equal(c.lastSeq - c.firstSeq + 1).and.to.be.at.most(DEFAULT_CHUNK_LIMITS.maxCount);
        if (c.count > 1) expect(c.bytes, "bytes").to.be.at.most(DEFAULT_CHUNK_LIMITS.maxBytes);
        if (i > 0) expect(c.firstSeq, "contiguous").to.equal(chunks[i - 1]!.lastSeq + 1);
      });
      expect(chunks.at(-1)?.lastSeq ?? 0).to.equal(total);
    };

    describe("append", () => {
      it("gives seq 1..n per room with no gaps, ids roomId:seq, createdAt in ISO UTC", async () => {
        const [a, b] = [newRoom(), newRoom()];
        const got: Message[] = [];
        for (let i = 0; i < 6; i++) got.push((await store.append(draft(i % 2 ? b : a), new Date(T0.getTime() + i))).message);
        expect(seqs(got.filter((m) => m.roomId === a))).to.deep.equal([1, 2, 3]);
        expect(seqs(got.filter((m) => m.roomId === b))).to.deep.equal([1, 2, 3]);
        for (const [i, m] of got.entries()) {
          expect(m.id).to.equal(`${m.roomId}:${m.seq}`);
          expect(m.createdAt).to.match(ISO_UTC).and.equal(new Date(T0.getTime() + i).toISOString());
          expect(m).to.not.have.any.keys("editedAt", "deletedAt");
        }
      });

      it("200 concurrent appends over 3 rooms: each room exactly 1..n, every message stored once", async () => {
        const rooms = [newRoom(), newRoom(), newRoom()];
        const drafts = range(1, 200).map((i) => draft(rooms[i % 3]!, { text: `c${i}`, senderId: `u${i % 7}` }));
        const results = await Promise.all(drafts.map((d) => store.append(d, T0)));
        expect(results.every((r) => r.created)).to.equal(true);
        for (const room of rooms) {
          const mine = results.filter((r) => r.message.roomId === room).map((r) => r.message.seq);
          expect(mine.sort((x, y) => x - y)).to.deep.equal(range(1, mine.length));
          const stored = await readAll(room);
          expect(seqs(stored)).to.deep.equal(range(1, mine.length));
          const expected = drafts.filter((d) => d.roomId === room).map((d) => d.clientMsgId).sort();
          expect(stored.map((m) => m.clientMsgId).sort()).to.deep.equal(expected);
          checkChunks(await store.chunkSummaries(room), mine.length);
        }
      });

      it("a repeated clientMsgId returns the original (created=false) and consumes no seq", async () => {
        const room = newRoom();
        const first = await store.append(draft(room, { clientMsgId: "k1", text: "original" }), T0);
        const again = await store.append(draft(room, { clientMsgId: "k1", text: "retry" }), new Date(T0.getTime() + 5));
        expect(first.created).to.equal(true);
        expect(again.created).to.equal(false);
        expect(again.message).to.deep.equal(first.message);
        const other = await store.append(draft(room, { clientMsgId: "k1", senderId: "user-b" }), T0);
        expect(other.created, "same clientMsgId, other sender").to.equal(true);
        expect(other.message.seq).to.equal(2);
        const elsewhere = await store.append(draft(newRoom(), { clientMsgId: "k1" }), T0);
        expect(elsewhere.created, "same clientMsgId, other room").to.equal(true);
        expect((await store.append(draft(room), T0)).message.seq).to.equal(3);
        // A retry arriving together with new messages: only the retry is answered from the store.
        const burst = await Promise.all([draft(room), draft(room, { clientMsgId: "k1", text: "again" }), draft(room)].map((d) => store.append(d, T0)));
        expect(burst.map((r) => [r.created, r.message.seq].join())).to.have.members(["true,4", "false,1", "true,5"]);
      });

      it("concurrent duplicates store one message; after rollover a retry still finds the original", async () => {
        const room = newRoom();
        const results = await Promise.all(range(1, 30).map((i) => store.append(draft(room, i % 3 ? { clientMsgId: "dup" } : {}), T0)));
        const dups = results.filter((r) => r.message.clientMsgId === "dup");
        expect(dups.filter((r) => r.created)).to.have.length(1);
        expect(new Set(dups.map((r) => r.message.id)).size).to.equal(1);
        expect(seqs(await readAll(room))).to.deep.equal(range(1, 11)); // 10 others + 1 dup
        await fill(room, DEFAULT_CHUNK_LIMITS.maxCount + 5);
        const late = await store.append(draft(room, { clientMsgId: "dup" }), T0);
        expect(late.created).to.equal(false);
        expect(late.message.id).to.equal(dups[0]!.message.id);
      });

      it("stores messages without clientMsgId every time", async () => {
        const room = newRoom();
        const a = await store.append(draft(room, { type: "system", clientMsgId: null }), T0);
        const b = await store.append(draft(room, { type: "system", clientMsgId: null }), T0);
        expect([a.created, b.created, a.message.seq, b.message.seq]).to.deep.equal([true, true, 1, 2]);
        expect(b.message.clientMsgId).to.equal(null);
      });

      it("round-trips hostile text byte for byte", async () => {
        const room = newRoom();
        const texts = [
          "héllo wörld — ünïcode ✓", "emoji 👩‍👩‍👧‍👦 🇫🇷 🏳️‍🌈 😀", "quotes \" ' ` and \\ backslash \\\" \\u0041",
          '{"$gt": ""}', "$gt", "$where: function() { return true }", '{"a":[1,2,{"b":null}],"text":"x"}',
          "[1,2,3]", "null", "line1\nline2\r\n\ttab", "עברית العربية", "e\u0301 combining", "<script>alert(1)</script>", " ",
          "x".repeat(4000),
        ];
        const sent = [];
        for (const text of texts) sent.push((await store.append(draft(room, { text, clientMsgId: `$gt-${text.slice(0, 20)}` }), T0)).message);
        const stored = await readAll(room);
        expect(stored.map((m) => m.text)).to.deep.equal(texts);
        expect(stored).to.deep.equal(sent);
        for (const m of stored) expect(await store.get(room, m.seq)).to.deep.equal(m);
        const att = { id: "a1", name: "r\u00e9sum\u00e9 \"1\".pdf", size: 12345, contentType: "application/pdf", url: "/api/attachments/a1" };
        const file = await store.append(draft(room, { type: "file", text: "", attachments: [att] }), T0);
        expect((await store.get(room, file.message.seq))?.attachments).to.deep.equal([att]);
      });

      it("refuses text it cannot store byte for byte (NUL, lone surrogate) without failing its neighbours", async () => {
        const room = newRoom();
        const results = await Promise.allSettled([
          store.append(draft(room, { text: "ok 1" }), T0),
          store.append(draft(room, { text: "nul \u0000 here" }), T0),
          store.append(draft(room, { text: "half \ud83d emoji" }), T0),
          store.append(draft(room, { text: "ok 2" }), T0),
        ]);
        expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "rejected", "fulfilled"]);
        expect((results[1] as PromiseRejectedResult).reason).to.have.property("code", "VALIDATION");
        expect(seqs(await readAll(room))).to.deep.equal([1, 2]);
      });
    });

    describe("chunks", () => {
      it("roll over by count, and pages read across chunk boundaries", async () => {
        const room = newRoom();
        const max = DEFAULT_CHUNK_LIMITS.maxCount;
        const total = 2 * max + 7;
        await fill(room, total);
        const chunks = await store.chunkSummaries(room);
        checkChunks(chunks, total);
        // A chunk closes by count at maxCount, or (PostgreSQL, see closesAt) up to a quarter before.
        expect(chunks).to.have.length(3);
        for (const c of chunks.slice(0, 2)) expect(c.count).to.be.within(max * 0.75, max);
        const page = await store.page(room, { before: max + 11, limit: 50 });
        expect(seqs(page.messages)).to.deep.equal(range(max - 39, max + 10));
        expect(page.messages.map((m) => m.text)).to.deep.equal(range(max - 39, max + 10).map((i) => `m${i}`));
        expect((await store.page(room, { after: max - 3, limit: 100 })).messages.map((m) => m.seq)).to.deep.equal(range(max - 2, 2 * max - 3));
        expect(seqs(await readAll(room, 50))).to.deep.equal(range(1, total));
        // Edits and deletes reach messages in closed chunks and in the open one alike.
        const at = new Date(T0.getTime() + 1);
        expect((await edit(room, 5, "five", at))?.text).to.equal("five");
        expect((await remove(room, max + 1, at))?.deletedAt).to.equal(at.toISOString());
        expect((await edit(room, total, "last", at))?.editedAt).to.equal(at.toISOString());
        const texts = (await readAll(room, 100)).map((m) => m.text);
        expect([texts[4], texts[max], texts[total - 1], texts.length]).to.deep.equal(["five", "", "last", total]);
        expect((await store.heads([room])).get(room)?.lastMessage?.text).to.equal("last");
      });

      it("a burst bigger than a chunk into one room stays gap-free and chunked", async () => {
        const room = newRoom();
        const n = 2 * DEFAULT_CHUNK_LIMITS.maxCount + 50;
        await store.append(draft(room), T0);
        const results = await Promise.all(range(2, n).map((i) => store.append(draft(room, { text: `b${i}` }), T0)));
        expect(results.map((r) => r.message.seq).sort((a, b) => a - b)).to.deep.equal(range(2, n));
        checkChunks(await store.chunkSummaries(room), n);
        const all = await readAll(room, 100);
        expect(seqs(all)).to.deep.equal(range(1, n));
        for (const r of results) expect(all[r.message.seq - 1]).to.deep.equal(r.message);
      });

      it("roll over by bytes", async () => {
        const room = newRoom();
        const big = "é".repeat(4000); // 8,000 bytes of UTF-8
        await fill(room, 10, (i) => ({ text: `${i}${big}` }));
        const chunks = await store.chunkSummaries(room);
        checkChunks(chunks, 10);
        expect(chunks.length).to.be.greaterThan(2);
        const all = await readAll(room, 4);
        expect(all.map((m) => m.text)).to.deep.equal(range(1, 10).map((i) => `${i}${big}`));
      });

      it("roll over by time bucket (UTC day)", async () => {
        const room = newRoom();
        const times = ["2026-11-23T23:59:58.000Z", "2026-11-23T23:59:59.999Z", "2026-11-24T00:00:00.000Z", "2026-11-24T13:00:00.000Z", "2026-11-26T01:00:00.000Z"];
        for (const t of times) await store.append(draft(room, { text: t }), new Date(t));
        const chunks = await store.chunkSummaries(room);
        checkChunks(chunks, times.length);
        expect(chunks.map((c) => [c.firstSeq, c.lastSeq, new Date(c.bucket).toISOString()])).to.deep.equal([
          [1, 2, "2026-11-23T00:00:00.000Z"], [3, 4, "2026-11-24T00:00:00.000Z"], [5, 5, "2026-11-26T00:00:00.000Z"],
        ]);
        const page = await store.page(room, { before: 5, limit: 3 });
        expect(page.messages.map((m) => m.createdAt)).to.deep.equal(times.slice(1, 4));
        expect(page.hasMore).to.equal(true);
      });
    });

    describe("reads", () => {
      let room: string;
      before(async () => {
        room = newRoom();
        await fill(room, 12);
      });

      it("pages: default newest, before, after, limit and hasMore at both ends", async () => {
        const newest = await store.page(room, { limit: 5 });
        expect([seqs(newest.messages), newest.hasMore]).to.deep.equal([[8, 9, 10, 11, 12], true]);
        const all = await store.page(room, { limit: 50 });
        expect([seqs(all.messages), all.hasMore]).to.deep.equal([range(1, 12), false]);
        const before = await store.page(room, { before: 8, limit: 5 });
        expect([seqs(before.messages), before.hasMore]).to.deep.equal([[3, 4, 5, 6, 7], true]);
        const oldest = await store.page(room, { before: 6, limit: 5 });
        expect([seqs(oldest.messages), oldest.hasMore]).to.deep.equal([[1, 2, 3, 4, 5], false]);
        const beyond = await store.page(room, { before: 1000, limit: 3 });
        expect([seqs(beyond.messages), beyond.hasMore]).to.deep.equal([[10, 11, 12], true]);
        expect(await store.page(room, { before: 1, limit: 5 })).to.deep.equal({ messages: [], hasMore: false });
        const after = await store.page(room, { after: 3, limit: 4 });
        expect([seqs(after.messages), after.hasMore]).to.deep.equal([[4, 5, 6, 7], true]);
        const tail = await store.page(room, { after: 8, limit: 4 });
        expect([seqs(tail.messages), tail.hasMore]).to.deep.equal([[9, 10, 11, 12], false]);
        expect(await store.page(room, { after: 12, limit: 4 })).to.deep.equal({ messages: [], hasMore: false });
        expect(seqs((await store.page(room, { after: 0, limit: 2 })).messages)).to.deep.equal([1, 2]);
      });

      it("pages an empty or unknown room", async () => {
        expect(await store.page(newRoom(), { limit: 50 })).to.deep.equal({ messages: [], hasMore: false });
        expect(await store.page(newRoom(), { after: 0, limit: 50 })).to.deep.equal({ messages: [], hasMore: false });
        expect(await store.page(newRoom(), { before: 10, limit: 50 })).to.deep.equal({ messages: [], hasMore: false });
      });

      it("gets one message, null when there is none", async () => {
        expect((await store.get(room, 7))?.text).to.equal("m7");
        for (const seq of [0, -1, 13, 10_000]) expect(await store.get(room, seq), `seq ${seq}`).to.equal(null);
        expect(await store.get(newRoom(), 1)).to.equal(null);
      });
    });

    describe("edit, delete, heads", () => {
      it("edits in place; heads show the edit when it is the last message", async () => {
        const room = newRoom();
        const [m1, , m3] = await fill(room, 3);
        const later = new Date(T0.getTime() + 60_000);
        const edited = await edit(room, 1, "changed ✓ \"q\"", later);
        expect(edited).to.deep.equal({ ...m1, rev: 4, text: "changed ✓ \"q\"", editedAt: later.toISOString() });
        expect(await store.get(room, 1)).to.deep.equal(edited);
        expect((await store.heads([room])).get(room)).to.deep.equal({ lastSeq: 3, rev: 4, lastMessage: m3 });
        const last = await edit(room, 3, "last edited", later);
        expect((await store.heads([room])).get(room)).to.deep.equal({ lastSeq: 3, rev: 5, lastMessage: last });
        expect(seqs((await store.page(room, { limit: 10 })).messages)).to.deep.equal([1, 2, 3]);
        expect(await edit(room, 4, "x", later)).to.equal(null);
        expect(await edit(newRoom(), 1, "x", later)).to.equal(null);
      });

      it("deletes keeping the seq; a deleted message stays deleted", async () => {
        const room = newRoom();
        const [m1, m2] = await fill(room, 2, () => ({ attachments: [{ id: "f", name: "f.txt", size: 1, contentType: "text/plain", url: "/f" }] }));
        const at = new Date(T0.getTime() + 1000);
        const deleted = await remove(room, 2, at);
        expect(deleted).to.deep.equal({ ...m2, rev: 3, text: "", attachments: [], deletedAt: at.toISOString() });
        expect((await store.heads([room])).get(room)).to.deep.equal({ lastSeq: 2, rev: 3, lastMessage: deleted });
        expect((await store.page(room, { limit: 10 })).messages).to.deep.equal([m1, deleted]);
        expect(await remove(room, 2, new Date(at.getTime() + 5))).to.deep.equal(deleted);
        await refusal(edit(room, 2, "resurrect", new Date(at.getTime() + 9)), "CONFLICT");
        expect(await store.get(room, 2), "edit after delete: unchanged").to.deep.equal(deleted);
        expect(await remove(room, 3, at)).to.equal(null);
        expect((await store.append(draft(room), T0)).message.seq).to.equal(3);
      });

      it("heads for many rooms in one call, unknown rooms at lastSeq 0", async () => {
        const rooms = [newRoom(), newRoom(), newRoom()];
        const lasts = [(await fill(rooms[0]!, 3)).at(-1), (await fill(rooms[1]!, 1)).at(-1)];
        const unknown = newRoom();
        const heads = await store.heads([...rooms, unknown]);
        expect([...heads.keys()].sort()).to.deep.equal([...rooms, unknown].sort());
        expect(heads.get(rooms[0]!)).to.deep.equal({ lastSeq: 3, rev: 3, lastMessage: lasts[0] });
        expect(heads.get(rooms[1]!)).to.deep.equal({ lastSeq: 1, rev: 1, lastMessage: lasts[1] });
        expect(heads.get(rooms[2]!)).to.deep.equal({ lastSeq: 0, rev: 0, lastMessage: null });
        expect(heads.get(unknown)).to.deep.equal({ lastSeq: 0, rev: 0, lastMessage: null });
        expect((await store.heads([])).size).to.equal(0);
      });
    });
    messageStoreRevisionContract(() => ({ store, peer: sut.peer }), { newRoom, fill, edit, remove });
    messageStoreSenderContract(() => ({ store }));
  });
}
