// The MessageSearchIndex contract (src/domain/ports/message-search.ts): every adapter runs this
// suite. Each case uses rooms of its own (random ids), so one index serves the whole suite.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import { messageId, type Message } from "../../src/domain/message.js";
import type { MessageSearchIndex, MessageSearchPage, SearchPosition } from "../../src/domain/ports/message-search.js";

export interface SearchIndexUnderTest {
  index: MessageSearchIndex;
  /** Rows the adapter reads newest-first before it turns to its text index (0: no such step). */
  recentWindow: number;
  cleanup(): Promise<void>;
}

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const at = (second: number) => new Date(T0 + second * 1000).toISOString();

export function message(roomId: string, seq: number, text: string, over: Partial<Message> = {}): Message {
  return {
    id: messageId(roomId, seq), roomId, seq, rev: seq, senderId: "user-a", type: "text", text, attachments: [], reactions: [],
    clientMsgId: randomUUID(), createdAt: at(seq), ...over,
  };
}

const ids = (page: MessageSearchPage) => page.hits.map((m) => m.id);

export function messageSearchContract(name: string, make: () => Promise<SearchIndexUnderTest>): void {
  describe(`MessageSearchIndex contract: ${name}`, function () {
    this.timeout(60_000);
    let sut: SearchIndexUnderTest;
    let index: MessageSearchIndex;
    before(async () => {
      sut = await make();
      index = sut.index;
    });
    after(() => sut?.cleanup());

    const search = (roomIds: string[], text: string, limit = 50, after?: SearchPosition) => index.search({ roomIds, text, limit, after });
    /** Every hit of a query, page by page, with the position of each page's last hit as the next start. */
    const searchAll = async (roomIds: string[], text: string, limit: number) => {
      const out: Message[] = [];
      let after: SearchPosition | undefined;
      for (let pages = 0; pages < 1000; pages++) {
        const page = await search(roomIds, text, limit, after);
        expect(page.hits.length, "a page never exceeds its limit").to.be.at.most(limit);
        out.push(...page.hits);
        if (!page.hasMore) return out;
        const last = page.hits.at(-1)!;
        after = { createdAt: last.createdAt, roomId: last.roomId, seq: last.seq };
      }
      throw new Error("paging did not end");
    };

    it("finds a substring in any case, inside a word, and returns the message as stored", async () => {
      const room = randomUUID();
      const m = message(room, 1, "Hello there, General Kenobi");
      await index.apply([m, message(room, 2, "nothing to see")]);
      expect(ids(await search([room], "ELLO"))).to.deep.equal([m.id]);
      expect(ids(await search([room], "eral ken"))).to.deep.equal([m.id]);
      expect((await search([room], "kenobi")).hits[0]).to.deep.equal(m);
      expect(ids(await search([room], "obiwan"))).to.deep.equal([]);
    });

    it("finds Korean by any part of a word, two syllables or one", async () => {
      const room = randomUUID();
      const hi = message(room, 1, "안녕하세요 여러분");
      const thanks = message(room, 2, "감사합니다!");
      await index.apply([hi, thanks]);
      expect(ids(await search([room], "안녕"))).to.deep.equal([hi.id]);
      expect(ids(await search([room], "하세요"))).to.deep.equal([hi.id]);
      expect(ids(await search([room], "합니"))).to.deep.equal([thanks.id]);
      expect(ids(await search([room], "요"))).to.deep.equal([hi.id]);
      expect(ids(await search([room], "안녕히"))).to.deep.equal([]);
    });

    it("matches other scripts, accents in either normal form, and emoji", async () => {
      const room = randomUUID();
      const tokyo = message(room, 1, "東京都庁で会いましょう");
      const cafe = message(room, 2, "Café au lait"); // precomposed é
      const party = message(room, 3, "party time 🎉🎉");
      const greek = message(room, 4, "ΟΔΟΣ ΠΑΝΕΠΙΣΤΗΜΙΟΥ");
      const creme = message(room, 5, "Cre\u0300me bru\u0302le\u0301e"); // decomposed è, û, é
      await index.apply([tokyo, cafe, party, greek, creme]);
      expect(ids(await search([room], "京都"))).to.deep.equal([tokyo.id]);
      expect(ids(await search([room], "CAFE\u0301"))).to.deep.equal([cafe.id]); // decomposed é
      expect(ids(await search([room], "cr\u00e8me br\u00fbl\u00e9e"))).to.deep.equal([creme.id]); // precomposed, against decomposed text
      expect(ids(await search([room], "🎉"))).to.deep.equal([party.id]);
      expect(ids(await search([room], "οδος"))).to.deep.equal([greek.id]);
    });

    it("treats every character of the query literally", async () => {
      const room = randomUUID();
      const odd = message(room, 1, String.raw`100% sure_thing (a+b)* [x] \d $gt {"q":1} it's`);
      const plain = message(room, 2, "100 sure thing ab x d gt q 1 its");
      await index.apply([odd, plain]);
      for (const q of ["100%", "sure_", "(a+b)*", "[x]", String.raw`\d`, "$gt", `{"q":1}`, "it's", "%", "_"]) {
        expect(ids(await search([room], q)), q).to.deep.equal([odd.id]);
      }
    });

    it("searches only the rooms it is given", async () => {
      const mine = randomUUID();
      const theirs = randomUUID();
      await index.apply([message(mine, 1, "secret plan alpha"), message(theirs, 1, "secret plan beta")]);
      expect((await search([mine], "secret plan")).hits.map((m) => m.roomId)).to.deep.equal([mine]);
      expect(ids(await search([], "secret plan"))).to.deep.equal([]);
      expect(ids(await search([randomUUID()], "secret plan"))).to.deep.equal([]);
    });

    it("returns the newest first across rooms: createdAt, then roomId, then seq, all descending", async () => {
      const [a, b] = [randomUUID(), randomUUID()].sort();
      const same = at(100);
      const batch = [
        message(a!, 1, "orange one", { createdAt: at(10) }),
        message(b!, 1, "orange two", { createdAt: at(20) }),
        message(a!, 2, "orange three", { createdAt: same }),
        message(b!, 2, "orange four", { createdAt: same }),
        message(b!, 3, "orange five", { createdAt: same }),
      ];
      await index.apply(batch);
      expect(ids(await search([a!, b!], "orange"))).to.deep.equal([
        messageId(b!, 3), messageId(b!, 2), messageId(a!, 2), messageId(b!, 1), messageId(a!, 1),
      ]);
    });

    it("pages through every match exactly once, in order", async () => {
      const rooms = [randomUUID(), randomUUID(), randomUUID()];
      const batch: Message[] = [];
      for (let seq = 1; seq <= 40; seq++) {
        for (const [i, room] of rooms.entries()) {
          batch.push(message(room, seq, seq % 3 === i ? `lime ${seq}` : `other ${seq}`, { createdAt: at(seq * 10 + (i % 2)) }));
        }
      }
      await index.apply(batch);
      const expected = batch
        .filter((m) => m.text.startsWith("lime"))
        .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || y.roomId.localeCompare(x.roomId) || y.seq - x.seq)
        .map((m) => m.id);
      expect(expected).to.have.length(40);
      expect((await searchAll(rooms, "lime", 7)).map((m) => m.id)).to.deep.equal(expected);
      const one = await search(rooms, "lime", 40);
      expect(one.hasMore, "no more after the last match").to.equal(false);
    });

    it("pages across many rooms, ties included, exactly once and in order", async () => {
      const rooms = Array.from({ length: 40 }, () => randomUUID());
      const batch = rooms.flatMap((room, i) =>
        Array.from({ length: 4 }, (_, k) => message(room, k + 1, `plum ${i}/${k}`, { createdAt: at(1000 + k * 10 + (i % 3)) })),
      );
      await index.apply(batch);
      const expected = [...batch]
        .sort((x, y) => y.createdAt.localeCompare(x.createdAt) || (y.roomId < x.roomId ? -1 : y.roomId > x.roomId ? 1 : 0) || y.seq - x.seq)
        .map((m) => m.id);
      expect((await searchAll(rooms, "plum", 9)).map((m) => m.id)).to.deep.equal(expected);
    });

    it("finds an edited message by its new words and not by its old ones", async () => {
      const room = randomUUID();
      const original = message(room, 1, "meet at the bakery");
      await index.apply([original]);
      const edited = { ...original, text: "meet at the library", editedAt: at(500) };
      await index.apply([edited]);
      expect(ids(await search([room], "bakery"))).to.deep.equal([]);
      expect((await search([room], "library")).hits).to.deep.equal([edited]);
    });

    it("keeps the latest edit whatever order versions arrive in, also within one batch", async () => {
      const room = randomUUID();
      const v0 = message(room, 1, "version zero");
      const v1 = { ...v0, text: "version one", editedAt: at(501) };
      const v2 = { ...v0, text: "version two", editedAt: at(502) };
      await index.apply([v2]);
      await index.apply([v1, v0]);
      expect(ids(await search([room], "version"))).to.deep.equal([v0.id]);
      expect((await search([room], "version")).hits[0]!.text).to.equal("version two");
      const other = message(room, 2, "batch zero");
      await index.apply([{ ...other, text: "batch two", editedAt: at(602) }, other, { ...other, text: "batch one", editedAt: at(601) }]);
      expect((await search([room], "batch")).hits.map((m) => m.text)).to.deep.equal(["batch two"]);
    });

    it("never finds a deleted message again, even if an older version arrives after the deletion", async () => {
      const room = randomUUID();
      const m = message(room, 1, "delete me please");
      await index.apply([m]);
      const deleted = { ...m, text: "", attachments: [], deletedAt: at(700) };
      await index.apply([deleted]);
      expect(ids(await search([room], "delete me"))).to.deep.equal([]);
      await index.apply([m, { ...m, text: "delete me please, edited", editedAt: at(800) }]);
      expect(ids(await search([room], "delete me"))).to.deep.equal([]);
      // A deletion that arrives before the message itself (another node's slower batch) also holds.
      const early = message(room, 2, "gone before it came");
      await index.apply([{ ...early, text: "", deletedAt: at(900) }]);
      await index.apply([early]);
      expect(ids(await search([room], "gone before"))).to.deep.equal([]);
    });

    it("applying the same message twice stores it once", async () => {
      const room = randomUUID();
      const m = message(room, 1, "twice told tale");
      await index.apply([m]);
      await index.apply([m, m]);
      expect(ids(await search([room], "twice"))).to.deep.equal([m.id]);
    });

    for (const roomCount of [1, 40]) {
      it(`finds rare words far back, common words near, and single characters anywhere, in a long history of ${roomCount} room(s)`, async () => {
        // Longer than the adapter's newest-first probe, so every path of the adapter runs.
        const rooms = Array.from({ length: roomCount }, () => randomUUID());
        const other = randomUUID();
        const total = Math.max(300, sut.recentWindow + 500);
        const batch: Message[] = [];
        const seqOf = (n: number) => Math.floor((n - 1) / roomCount) + 1; // the n-th message overall, round robin
        for (let n = 1; n <= total; n++) {
          const text = n === 3 ? "the old zephyr song ✓" : n === 5 ? "ㅋ 웃긴 zephyrs" : `common chatter number ${n}${n % 50 === 0 ? " sparse" : ""}`;
          batch.push(message(rooms[(n - 1) % roomCount]!, seqOf(n), text, { createdAt: at(n) }));
          batch.push(message(other, n, `zephyr ✓ ㅋ in a room not searched ${n}`, { createdAt: at(n) }));
        }
        for (let i = 0; i < batch.length; i += 500) await index.apply(batch.slice(i, i + 500));
        const nth = (n: number) => messageId(rooms[(n - 1) % roomCount]!, seqOf(n));

        expect(ids(await search(rooms, "zephyr"))).to.deep.equal([nth(5), nth(3)]);
        expect(ids(await search(rooms, "✓"))).to.deep.equal([nth(3)]);
        expect(ids(await search(rooms, "ㅋ"))).to.deep.equal([nth(5)]);
        expect(ids(await search(rooms, "웃"))).to.deep.equal([nth(5)]);
        const common = await search(rooms, "chatter", 10);
        expect(common.hits.map((m) => m.id)).to.deep.equal(Array.from({ length: 10 }, (_, i) => nth(total - i)));
        expect(common.hasMore).to.equal(true);
        // A word in one message in 50: more than one probe's worth of history for a page.
        const sparse = Array.from({ length: Math.floor(total / 50) }, (_, i) => nth(total - (total % 50) - i * 50));
        const first = await search(rooms, "sparse", sparse.length - 5);
        expect(first.hits.map((m) => m.id)).to.deep.equal(sparse.slice(0, -5));
        expect(first.hasMore).to.equal(true);
        const last = first.hits.at(-1)!;
        const rest = await search(rooms, "sparse", 50, { createdAt: last.createdAt, roomId: last.roomId, seq: last.seq });
        expect(rest.hits.map((m) => m.id)).to.deep.equal(sparse.slice(-5));
        expect(rest.hasMore).to.equal(false);
        // A page that starts beyond the probe's reach finds the rest, in order.
        const eighth = batch.find((m) => m.id === nth(8))!;
        const deep = await search(rooms, "chatter", 5, { createdAt: eighth.createdAt, roomId: eighth.roomId, seq: eighth.seq });
        expect(deep.hits.map((m) => m.id)).to.deep.equal([7, 6, 4, 2, 1].map(nth));
        expect(deep.hasMore).to.equal(false);
      });
    }
  });
}
