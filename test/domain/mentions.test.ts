// Mentions (src/domain/mentions.ts, the send and delete paths in src/domain/messages.ts, and
// mentionCount in src/domain/room-views.ts) on the in-memory fakes: PROTOCOL.md "Conversations".
import { expect } from "chai";
import type { Message } from "../../src/domain/message.js";
import { checkMentions, listMentions, mentionedIds } from "../../src/domain/mentions.js";
import { deleteMessage, PAGE_LIMIT_MAX, sendMessage } from "../../src/domain/messages.js";
import type { RoomRecord } from "../../src/domain/ports/room-repository.js";
import { markRead } from "../../src/domain/receipts.js";
import { leaveRoom, listRooms } from "../../src/domain/rooms.js";
import type { UserRecord } from "../../src/domain/user.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { group, refusal, users } from "../fakes/scenario.js";

/**
 * Runs `work` with `new Date()` and Date.now() answering `at()` (sendMessage stamps messages, and
 * so mentions, with the real clock). Dates built from a value are untouched.
 */
async function withNow<T>(at: () => number, work: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  class StubDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(at());
      else super(...(args as [number]));
    }
    static override now() {
      return at();
    }
  }
  globalThis.Date = StubDate as DateConstructor;
  try {
    return await work();
  } finally {
    globalThis.Date = RealDate;
  }
}

describe("mentions (unit)", () => {
  let d: FakeDeps;
  let ann: UserRecord, bob: UserRecord, cat: UserRecord, eve: UserRecord;
  let team: RoomRecord;
  let n = 0;
  const send = (who: UserRecord, over: { mentions?: string[]; mentionsRoom?: boolean; roomId?: string; text?: string } = {}) =>
    sendMessage(d, who.id, {
      roomId: over.roomId ?? team.id,
      clientMsgId: `c${++n}`,
      text: over.text ?? "hey",
      ...(over.mentions ? { mentions: over.mentions } : {}),
      ...(over.mentionsRoom ? { mentionsRoom: true } : {}),
    });
  const mentionSeqs = async (who: UserRecord) => (await listMentions(d, who.id, { limit: PAGE_LIMIT_MAX })).messages.map((m) => `${m.roomId === team.id ? "team" : m.roomId}:${m.seq}`);
  const roomView = async (who: UserRecord, roomId = team.id) => (await listRooms(d, who.id)).find((r) => r.id === roomId)!;
  /** Every page of the caller's mentions, following nextCursor. */
  const allPages = async (who: UserRecord, limit: number) => {
    const pages: Message[][] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = await listMentions(d, who.id, { limit, ...(cursor === undefined ? {} : { cursor }) });
      pages.push(page.messages);
      if (page.nextCursor === null) return pages;
      cursor = page.nextCursor;
    }
    throw new Error("nextCursor never turned null");
  };

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob, cat, eve] = await users(d, "Ann", "Bob", "Cat", "Eve");
    team = await group(d, ann, [bob, cat]);
  });

  describe("checkMentions and mentionedIds", () => {
    it("checkMentions answers null when nothing is mentioned, else the room's member ids", async () => {
      expect(await checkMentions(d, team.id, {})).to.equal(null);
      expect(await checkMentions(d, team.id, { mentions: [], mentionsRoom: false })).to.equal(null);
      expect((await checkMentions(d, team.id, { mentions: [bob.id] }))?.sort()).to.deep.equal([ann.id, bob.id, cat.id].sort());
      expect((await checkMentions(d, team.id, { mentionsRoom: true }))?.sort()).to.deep.equal([ann.id, bob.id, cat.id].sort());
    });

    it("checkMentions refuses a non-member with VALIDATION on mentions.<index>", async () => {
      const err = await refusal(checkMentions(d, team.id, { mentions: [bob.id, cat.id, eve.id] }), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "mentions.2");
    });

    it("mentionedIds: the mentioned, each once, without the sender; mentionsRoom: every member but the sender", () => {
      const message = { senderId: ann.id, mentions: [bob.id, ann.id, bob.id] } as Message;
      expect(mentionedIds(message, [ann.id, bob.id, cat.id])).to.deep.equal([bob.id]);
      const all = { senderId: ann.id, mentionsRoom: true, mentions: [bob.id] } as Message;
      expect(mentionedIds(all, [ann.id, bob.id, cat.id])).to.deep.equal([bob.id, cat.id]);
      expect(mentionedIds({ senderId: ann.id } as Message, [ann.id, bob.id])).to.deep.equal([]);
    });
  });

  describe("sending with mentions", () => {
    it("the message carries mentions and mentionsRoom, in the answer and the broadcast", async () => {
      const { message } = await send(ann, { mentions: [bob.id], mentionsRoom: true });
      expect(message).to.include({ mentionsRoom: true });
      expect(message.mentions).to.deep.equal([bob.id]);
      expect(d.broadcaster.roomEvents("message:new", team.id)).to.deep.equal([message]);
    });

    it("mentioning a non-member is VALIDATION on mentions.<index>, and nothing is stored, broadcast or recorded", async () => {
      const err = await refusal(send(ann, { mentions: [bob.id, eve.id] }), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "mentions.1");
      const first = await refusal(send(ann, { mentions: [eve.id] }), "VALIDATION");
      expect(first).to.have.nested.property("errors[0].path", "mentions.0");
      expect(d.messages.appended).to.equal(0);
      expect(d.broadcaster.count).to.equal(0);
      expect(await mentionSeqs(bob)).to.deep.equal([]);
    });

    it("a member who left can no longer be mentioned: VALIDATION", async () => {
      await leaveRoom(d, cat.id, team.id);
      const err = await refusal(send(ann, { mentions: [cat.id] }), "VALIDATION");
      expect(err).to.have.nested.property("errors[0].path", "mentions.0");
    });

    it("records a mention for each mentioned member, not for the sender nor for members not mentioned", async () => {
      await send(ann, { mentions: [bob.id, ann.id] });
      expect(await mentionSeqs(bob)).to.deep.equal(["team:1"]);
      expect(await mentionSeqs(ann)).to.deep.equal([]);
      expect(await mentionSeqs(cat)).to.deep.equal([]);
    });

    it("mentionsRoom mentions every member but the sender", async () => {
      await send(bob, { mentionsRoom: true });
      expect(await mentionSeqs(ann)).to.deep.equal(["team:1"]);
      expect(await mentionSeqs(cat)).to.deep.equal(["team:1"]);
      expect(await mentionSeqs(bob)).to.deep.equal([]);
    });

    it("a message mentioning someone twice, or both by name and by mentionsRoom, counts once", async () => {
      await send(ann, { mentions: [bob.id, bob.id] });
      await send(ann, { mentions: [bob.id], mentionsRoom: true });
      expect((await mentionSeqs(bob)).sort()).to.deep.equal(["team:1", "team:2"]);
      expect((await roomView(bob)).mentionCount).to.equal(2);
    });
  });

  describe("mentionCount in the room list", () => {
    it("counts the unread messages mentioning the viewer, and drops as the read cursor passes them", async () => {
      await send(ann, { mentions: [bob.id] }); // 1
      await send(ann); // 2
      await send(ann, { mentionsRoom: true }); // 3
      await send(ann); // 4
      expect(await roomView(bob)).to.include({ unreadCount: 4, mentionCount: 2 });
      expect(await roomView(cat)).to.include({ unreadCount: 4, mentionCount: 1 });
      expect((await roomView(ann)).mentionCount, "the sender's own mentions never count").to.equal(0);
      await markRead(d, bob.id, team.id, 1);
      expect(await roomView(bob)).to.include({ unreadCount: 3, mentionCount: 1 });
      await markRead(d, bob.id, team.id, 2);
      expect((await roomView(bob)).mentionCount, "a plain message read changes nothing").to.equal(1);
      await markRead(d, bob.id, team.id, 3);
      expect(await roomView(bob)).to.include({ unreadCount: 1, mentionCount: 0 });
      expect((await roomView(cat)).mentionCount, "another member's cursor is their own").to.equal(1);
    });

    it("is 0 in a room without mentions, and counts per room", async () => {
      const other = await group(d, bob, [ann], "Other");
      await send(ann, { mentions: [bob.id] });
      await send(ann, { roomId: other.id });
      expect((await roomView(bob)).mentionCount).to.equal(1);
      expect((await roomView(bob, other.id)).mentionCount).to.equal(0);
    });

    it("a deleted message's mention no longer counts", async () => {
      const { message } = await send(ann, { mentions: [bob.id] });
      await send(ann, { mentions: [bob.id] });
      await deleteMessage(d, ann.id, { roomId: team.id, messageId: message.id });
      expect((await roomView(bob)).mentionCount).to.equal(1);
    });
  });

  describe("listMentions", () => {
    it("answers the messages in their current state, with roomId and seq, newest first", async () => {
      const other = await group(d, ann, [bob], "Other");
      let t = Date.now();
      await withNow(() => (t += 5), async () => {
        await send(ann, { mentions: [bob.id] }); // team 1
        await send(cat, { mentionsRoom: true }); // team 2
        await send(ann, { roomId: other.id, mentions: [bob.id] }); // other 1
        await send(ann); // team 3
        await send(ann, { mentions: [bob.id], text: "last" }); // team 4
      });
      const { messages, nextCursor } = await listMentions(d, bob.id, { limit: 10 });
      expect(messages.map((m) => [m.roomId, m.seq])).to.deep.equal([[team.id, 4], [other.id, 1], [team.id, 2], [team.id, 1]]);
      expect(messages[0]).to.include({ text: "last", senderId: ann.id });
      expect(nextCursor).to.equal(null);
    });

    it("pages with nextCursor, newest first, neither repeating nor skipping, to a null cursor", async () => {
      let t = Date.now();
      const seqs: number[] = [];
      await withNow(() => (t += 3), async () => {
        for (let i = 0; i < 11; i++) seqs.push((await send(i % 2 ? ann : cat, { mentions: [bob.id] })).message.seq);
      });
      const pages = await allPages(bob, 4);
      expect(pages.map((p) => p.length)).to.deep.equal([4, 4, 3]);
      expect(pages.flat().map((m) => m.seq)).to.deep.equal(seqs.reverse());
    });

    it("paging neither repeats nor skips when many mentions share one millisecond", async () => {
      const other = await group(d, ann, [bob], "Other");
      const at = Date.now();
      await withNow(() => at, async () => {
        for (let i = 0; i < 7; i++) await send(ann, { roomId: i % 3 ? team.id : other.id, mentions: [bob.id] });
      });
      const pages = await allPages(bob, 3);
      const ids = pages.flat().map((m) => m.id);
      expect(ids).to.have.length(7);
      expect(new Set(ids).size).to.equal(7);
    });

    it("newest first also among messages of one room sent within the same millisecond (by seq)", async () => {
      const at = Date.now();
      await withNow(() => at, async () => {
        for (let i = 0; i < 3; i++) await send(ann, { mentions: [bob.id] });
      });
      const { messages } = await listMentions(d, bob.id, { limit: 10 });
      expect(messages.map((m) => m.seq), "the later message (higher seq) is the newer").to.deep.equal([3, 2, 1]);
    });

    it("a page at the end with exactly `limit` mentions is followed by an empty page with a null cursor", async () => {
      for (let i = 0; i < 4; i++) await send(ann, { mentions: [bob.id] });
      const pages = await allPages(bob, 2);
      expect(pages.flat()).to.have.length(4);
      expect(pages.at(-1)!.length).to.be.at.most(2);
    });

    it(`caps a page at ${PAGE_LIMIT_MAX}`, async () => {
      for (let i = 0; i < PAGE_LIMIT_MAX + 1; i++) await send(ann, { mentions: [bob.id] });
      const page = await listMentions(d, bob.id, { limit: 10_000 });
      expect(page.messages).to.have.length(PAGE_LIMIT_MAX);
      expect(page.nextCursor).to.be.a("string");
    });

    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const [what, cursor] of [
      ["garbage", "not a cursor!"],
      ["empty", ""],
      ["base64 of non-JSON", Buffer.from("hello").toString("base64url")],
      ["a JSON object", b64({ at: "2020-01-01T00:00:00.000Z", roomId: "r", seq: 1 })],
      ["a JSON null", b64(null)],
      ["a bad date", b64(["yesterday", "r", 1])],
      ["a number room id", b64(["2020-01-01T00:00:00.000Z", 5, 1])],
      ["a fractional seq", b64(["2020-01-01T00:00:00.000Z", "r", 1.5])],
      ["a too long room id", b64(["2020-01-01T00:00:00.000Z", "r".repeat(65), 1])],
    ] as const) {
      it(`a cursor that is ${what} is VALIDATION on cursor`, async () => {
        const err = await refusal(listMentions(d, bob.id, { cursor, limit: 10 }), "VALIDATION");
        expect(err).to.have.nested.property("errors[0].path", "cursor");
      });
    }

    it("a deleted message's mentions are gone from every mentioned member's list", async () => {
      const { message } = await send(ann, { mentionsRoom: true });
      await send(ann, { mentions: [bob.id] });
      await deleteMessage(d, ann.id, { roomId: team.id, messageId: message.id });
      expect(await mentionSeqs(bob)).to.deep.equal(["team:2"]);
      expect(await mentionSeqs(cat)).to.deep.equal([]);
    });

    it("mentions in a room the user left are not listed, and paging still reaches the rest", async () => {
      const other = await group(d, ann, [bob], "Other");
      let t = Date.now();
      await withNow(() => (t += 3), async () => {
        for (let i = 0; i < 6; i++) await send(ann, { roomId: i % 2 ? team.id : other.id, mentions: [bob.id] });
      });
      await leaveRoom(d, bob.id, team.id);
      const pages = await allPages(bob, 2);
      const listed = pages.flat();
      expect(listed.map((m) => [m.roomId, m.seq])).to.deep.equal([[other.id, 3], [other.id, 2], [other.id, 1]]);
      expect(await mentionSeqs(cat), "the others still see theirs").to.deep.equal([]);
    });

    it("a user mentioned nowhere gets an empty list and a null cursor", async () => {
      await send(ann, { mentions: [bob.id] });
      expect(await listMentions(d, cat.id, { limit: 10 })).to.deep.equal({ messages: [], nextCursor: null });
    });
  });
});
