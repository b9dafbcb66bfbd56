// The sender part of the MessageStore contract (src/domain/ports/message-store.ts, sentBy): where a
// user's messages are in every room, paged, as account export and deletion read them
// (docs/accounts.md). Called from message-store.contract.ts, so every adapter runs it.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { MessageDraft, MessageStore, SentRef } from "../../src/domain/ports/message-store.js";
import { refusal } from "../fakes/scenario.js";

const T0 = new Date("2026-11-23T10:00:00.000Z");
const key = (r: SentRef) => `${r.roomId}:${r.seq}`;

export function messageStoreSenderContract(stores: () => { store: MessageStore }): void {
  describe("a sender's messages in every room (sentBy)", () => {
    let store: MessageStore;
    before(() => ({ store } = stores()));
    const send = async (roomId: string, senderId: string, over: Partial<MessageDraft> = {}) =>
      (await store.append({ roomId, senderId, type: "text", text: "hi", attachments: [], clientMsgId: randomUUID(), ...over }, T0)).message;

    /** Every ref of the sender, page by page, with the page sizes seen. */
    const readAll = async (senderId: string, limit: number) => {
      const refs: SentRef[] = [];
      const sizes: number[] = [];
      for (let after: SentRef | undefined; ; ) {
        const page = await store.sentBy(senderId, { after, limit });
        sizes.push(page.length);
        refs.push(...page);
        if (page.length < limit) return { refs, sizes };
        after = page.at(-1);
      }
    };

    it("pages through exactly the sender's keyed messages of every room, each once, in room then seq order", async () => {
      const ann = `ann-${randomUUID()}`;
      const bob = `bob-${randomUUID()}`;
      const rooms = [randomUUID(), randomUUID(), randomUUID()];
      const mine: SentRef[] = [];
      for (let i = 0; i < 23; i++) {
        const roomId = rooms[i % rooms.length]!;
        const m = await send(roomId, ann);
        mine.push({ roomId, seq: m.seq });
        await send(roomId, bob);
      }
      // A system message carries a sender but no key: not listed (PROTOCOL: keyed messages only).
      await send(rooms[0]!, ann, { type: "system", clientMsgId: null });

      const { refs, sizes } = await readAll(ann, 5);
      expect(refs.map(key).sort()).to.deep.equal(mine.map(key).sort());
      expect(new Set(refs.map(key)).size, "no duplicates").to.equal(refs.length);
      expect(sizes.every((n) => n <= 5)).to.equal(true);
      // Grouped by room, ascending seq within each room.
      const byRoom = new Map<string, number[]>();
      for (const r of refs) byRoom.set(r.roomId, [...(byRoom.get(r.roomId) ?? []), r.seq]);
      expect(byRoom.size).to.equal(rooms.length);
      for (const seqs of byRoom.values()) expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
      const roomOrder = refs.map((r) => r.roomId).filter((r, i, all) => i === 0 || all[i - 1] !== r);
      expect(roomOrder, "each room's refs are contiguous").to.have.length(rooms.length);
    });

    it("keeps listing a message after it is deleted (a retried deletion finds what is left), and nothing for an unknown sender", async () => {
      const ann = `ann-${randomUUID()}`;
      const roomId = randomUUID();
      const a = await send(roomId, ann);
      const b = await send(roomId, ann);
      await store.change(roomId, a.seq, { kind: "delete" }, T0);
      expect((await store.sentBy(ann, { limit: 10 })).map(key)).to.deep.equal([key({ roomId, seq: a.seq }), key({ roomId, seq: b.seq })]);
      expect(await store.sentBy(`nobody-${randomUUID()}`, { limit: 10 })).to.deep.equal([]);
      expect(await store.sentBy(ann, { after: { roomId, seq: b.seq }, limit: 10 })).to.deep.equal([]);
    });

    it("deletes a page of one room's messages (closed chunks and the open one) as one delete each would: tombstones, rev, pins, head", async () => {
      const ann = `ann-${randomUUID()}`;
      const roomId = randomUUID();
      // Past a chunk's cap, so the page spans a closed chunk and the open one.
      for (let i = 0; i < 130; i++) await send(roomId, ann, { text: `m${i + 1}` });
      await store.change(roomId, 50, { kind: "pin", userId: "bob", pinned: true }, T0);
      await store.change(roomId, 7, { kind: "delete" }, T0);
      const before = (await store.heads([roomId])).get(roomId)!;

      const deleted = await store.deleteMany(roomId, [130, 50, 7, 5, 120, 999], T0);
      expect(deleted.map((m) => m.seq), "in seq order, the already deleted 7 and the missing 999 skipped").to.deep.equal([5, 50, 120, 130]);
      for (const m of deleted) expect([m.text, m.senderId, typeof m.deletedAt, m.pinnedAt]).to.deep.equal(["", ann, "string", undefined]);
      const head = (await store.heads([roomId])).get(roomId)!;
      expect(head.rev).to.equal(before.rev + 4);
      expect(head.lastMessage).to.deep.include({ seq: 130, text: "" });
      expect(await store.pinned(roomId)).to.deep.equal([]);
      const changed = await store.changes(roomId, { afterRev: before.rev, limit: 10 });
      expect(changed.messages.map((m) => [m.seq, m.rev])).to.deep.equal(deleted.map((m, i) => [m.seq, before.rev + 1 + i]));
      const all = (await store.page(roomId, { after: 0, limit: 100 })).messages.concat((await store.page(roomId, { after: 100, limit: 100 })).messages);
      expect(all.map((m) => m.seq)).to.deep.equal(Array.from({ length: 130 }, (_, i) => i + 1));
      expect(all.filter((m) => m.deletedAt).map((m) => m.seq)).to.deep.equal([5, 7, 50, 120, 130]);
      expect(all.find((m) => m.seq === 6)?.text).to.equal("m6");
      expect(await store.deleteMany(roomId, [5, 50], T0), "again: nothing to do").to.deep.equal([]);
      expect((await store.heads([roomId])).get(roomId)!.rev).to.equal(head.rev);
    });

    it("refuses a bad limit or cursor with VALIDATION", async () => {
      await refusal(store.sentBy("ann", { limit: 0 }), "VALIDATION");
      await refusal(store.sentBy("ann", { after: { roomId: "r\u0000", seq: 1 }, limit: 5 }), "VALIDATION");
      await refusal(store.sentBy("ann", { after: { roomId: randomUUID(), seq: 1.5 }, limit: 5 }), "VALIDATION");
    });
  });
}
