// What an outgoing webhook's target receives (src/domain/webhook-events.ts): events from the
// timeline with member events placed among them, their types and ids, the signature, the backoff.
import { createHmac } from "node:crypto";
import { expect } from "chai";
import type { Message } from "../../src/domain/message.js";
import { memberEventId, mergeTimeline, messageEventId, messageEventType, retryDelayMs, signatureOf } from "../../src/domain/webhook-events.js";

const ROOM = "0190a0b0-0000-7000-8000-000000000001";
const HOOK = "0190a0b0-0000-7000-8000-0000000000aa";
const message = (seq: number, rev: number, extra: Partial<Message> = {}): Message => ({
  id: `${ROOM}:${seq}`,
  roomId: ROOM,
  seq,
  rev,
  senderId: "u",
  type: "text",
  text: `m${seq}`,
  attachments: [],
  clientMsgId: `c${seq}`,
  createdAt: "2026-12-06T00:00:00.000Z",
  reactions: [],
  ...extra,
});
const member = (id: string, afterRev: number, type: "member.joined" | "member.left" = "member.joined") => ({ id, userId: `user-${id}`, type, afterRev, at: new Date("2026-12-06T00:00:01Z") });
const NOW = new Date("2026-12-06T00:00:02Z");

describe("webhook events (unit)", () => {
  describe("types", () => {
    it("a message past the cursor's seq is message.created, whatever happened to it since", () => {
      expect(messageEventType(message(5, 9, { editedAt: "x" }), 4)).to.equal("message.created");
    });

    it("a change to a message already had is message.updated when edited, deleted or pinned, else reaction.updated", () => {
      expect(messageEventType(message(3, 9, { editedAt: "x" }), 4)).to.equal("message.updated");
      expect(messageEventType(message(3, 9, { deletedAt: "x" }), 4)).to.equal("message.updated");
      expect(messageEventType(message(3, 9, { pinnedAt: "x" }), 4)).to.equal("message.updated");
      expect(messageEventType(message(3, 9, { reactions: [{ emoji: "👍", count: 1, userIds: ["u"] }] }), 4)).to.equal("reaction.updated");
    });
  });

  describe("mergeTimeline", () => {
    it("turns each change into an event whose id is the webhook's and the rev's, moving the cursor with it", () => {
      const items = mergeTimeline(HOOK, ROOM, { rev: 4, seq: 3 }, { messages: [message(4, 5), message(2, 6, { editedAt: "x" })], hasMore: false }, [], NOW);
      expect(items.map((i) => [i.event.id, i.event.type, i.position])).to.deep.equal([
        [messageEventId(HOOK, 5), "message.created", { rev: 5, seq: 4 }],
        [messageEventId(HOOK, 6), "message.updated", { rev: 6, seq: 4 }],
      ]);
      expect(items[0]!.event).to.include({ roomId: ROOM, at: "2026-12-06T00:00:00.000Z" });
      expect(items[1]!.event.at, "a change is stamped when read").to.equal(NOW.toISOString());
    });

    it("places each member event after the changes up to its rev, and before the later ones", () => {
      const items = mergeTimeline(HOOK, ROOM, { rev: 0, seq: 0 }, { messages: [message(1, 1), message(2, 2), message(3, 3)], hasMore: false }, [member("7", 0), member("8", 2, "member.left"), member("9", 3)], NOW);
      expect(items.map((i) => i.event.id)).to.deep.equal([
        memberEventId(HOOK, "7"),
        messageEventId(HOOK, 1),
        messageEventId(HOOK, 2),
        memberEventId(HOOK, "8"),
        messageEventId(HOOK, 3),
        memberEventId(HOOK, "9"),
      ]);
      const left = items[3]!;
      expect(left.event).to.include({ type: "member.left" });
      expect(left.event.data).to.deep.equal({ userId: "user-8" });
      expect(left.position, "a member event leaves the rev where it was and names itself").to.deep.equal({ rev: 2, seq: 2, memberEventId: "8" });
    });

    it("with more changes to come, holds back member events placed past the page", () => {
      const items = mergeTimeline(HOOK, ROOM, { rev: 0, seq: 0 }, { messages: [message(1, 1), message(2, 2)], hasMore: true }, [member("7", 2), member("8", 5)], NOW);
      expect(items.map((i) => i.event.id)).to.deep.equal([messageEventId(HOOK, 1), messageEventId(HOOK, 2), memberEventId(HOOK, "7")]);
    });

    it("sends messages as everyone sees them (no viewer's `me`)", () => {
      const [item] = mergeTimeline(HOOK, ROOM, { rev: 0, seq: 0 }, { messages: [message(1, 1, { reactions: [{ emoji: "👍", count: 1, userIds: ["u"], me: true }] })], hasMore: false }, [], NOW);
      expect((item!.event.data as { message: Message }).message.reactions).to.deep.equal([{ emoji: "👍", count: 1, userIds: ["u"] }]);
    });
  });

  it("signs the raw body: sha256= and the lower-case hex HMAC-SHA256 with the secret", () => {
    const body = JSON.stringify({ id: "e", type: "message.created" });
    expect(signatureOf("whsec_k", body)).to.equal(`sha256=${createHmac("sha256", "whsec_k").update(body).digest("hex")}`);
    expect(signatureOf("whsec_k", body)).to.match(/^sha256=[0-9a-f]{64}$/);
    expect(signatureOf("whsec_other", body)).not.to.equal(signatureOf("whsec_k", body));
  });

  it("backs off exponentially from the base, between half and all of each step, up to the ceiling", () => {
    const retry = { baseMs: 1_000, maxMs: 60_000 };
    expect([1, 2, 3, 4].map((f) => retryDelayMs(f, retry, () => 1))).to.deep.equal([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3].map((f) => retryDelayMs(f, retry, () => 0))).to.deep.equal([500, 1_000, 2_000]);
    expect(retryDelayMs(50, retry, () => 1)).to.equal(60_000);
    // A day of an outage at the defaults (10 s doubling to 1 h) is retried throughout it.
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < 86_400_000) elapsed += retryDelayMs(++attempts, { baseMs: 10_000, maxMs: 3_600_000 }, () => 1);
    expect(attempts).to.be.within(20, 40);
  });
});
