// The read cursors (src/store/read-cursors.ts) on real PostgreSQL, with two repositories on pools of
// their own standing for two nodes: a batch moves each cursor once, to the highest seq asked; a
// cursor never moves back, whoever writes (receipts, the senders' cursors written behind); batches
// that lock the same rows in opposite list orders do not deadlock.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Database } from "../../src/store/database.js";
import { PrismaRoomRepository } from "../../src/store/prisma-rooms.js";
import { useNodeDatabases } from "../helpers/node-databases.js";

describe("read cursors on PostgreSQL (two nodes)", function () {
  this.timeout(30_000);
  const nodes = useNodeDatabases(8);
  const errors: unknown[] = [];

  // Checked once the test's databases are closed (the helper's afterEach, registered first, runs first).
  afterEach(() => {
    expect(errors.splice(0), "errors of the cursors written behind").to.deep.equal([]);
  });

  async function node() {
    const db = await nodes.open();
    return { db, rooms: new PrismaRoomRepository(db.prisma, (err) => errors.push(err), db.sql) };
  }

  /** `users` members in `rooms` rooms, every cursor at 0. */
  async function seed(db: Database, rooms: number, users: number) {
    const userIds = Array.from({ length: users }, () => randomUUID());
    const roomIds = Array.from({ length: rooms }, () => randomUUID());
    await db.prisma.user.createMany({ data: userIds.map((id) => ({ id, email: `${id}@test`, passwordHash: "x", displayName: "u" })) });
    await db.prisma.room.createMany({ data: roomIds.map((id) => ({ id, type: "group", name: "r", createdById: userIds[0]! })) });
    await db.prisma.membership.createMany({ data: roomIds.flatMap((roomId) => userIds.map((userId) => ({ roomId, userId }))) });
    return { roomIds, userIds };
  }

  const cursor = async (db: Database, roomId: string, userId: string) =>
    (await db.prisma.membership.findUniqueOrThrow({ where: { roomId_userId: { roomId, userId } } })).lastReadSeq;

  it("receipts of one turn for one cursor: it moves once, to the newest; each answer is where it ended, and only the newest says moved", async () => {
    const { db, rooms } = await node();
    const { roomIds: [room], userIds: [bob] } = await seed(db, 1, 1);
    const answers = await Promise.all([3, 9, 5].map((seq) => rooms.advanceRead(room!, bob!, seq)));
    expect(answers).to.deep.equal([
      { lastReadSeq: 9, moved: false },
      { lastReadSeq: 9, moved: true },
      { lastReadSeq: 9, moved: false },
    ]);
    expect(await cursor(db, room!, bob!)).to.equal(9);
  });

  it("a cursor never moves back: an older receipt answers where it is, and so does the same seq again", async () => {
    const { db, rooms } = await node();
    const { roomIds: [room], userIds: [bob] } = await seed(db, 1, 1);
    expect(await rooms.advanceRead(room!, bob!, 7)).to.deep.equal({ lastReadSeq: 7, moved: true });
    expect(await rooms.advanceRead(room!, bob!, 4)).to.deep.equal({ lastReadSeq: 7, moved: false });
    expect(await rooms.advanceRead(room!, bob!, 7)).to.deep.equal({ lastReadSeq: 7, moved: false });
    // The sender's own cursor written behind does not move it back either.
    rooms.advanceReadLater(room!, bob!, 2);
    await rooms.flush();
    expect(await cursor(db, room!, bob!)).to.equal(7);
  });

  it("a non-member gets null, beside members of the same batch who move", async () => {
    const { db, rooms } = await node();
    const { roomIds: [room], userIds: [ann] } = await seed(db, 1, 1);
    const [member, stranger] = await Promise.all([rooms.advanceRead(room!, ann!, 2), rooms.advanceRead(room!, randomUUID(), 2)]);
    expect(member).to.deep.equal({ lastReadSeq: 2, moved: true });
    expect(stranger).to.equal(null);
  });

  it("two nodes moving the same cursors at once, in opposite orders, with senders' cursors written behind: no deadlock, each answer at least its seq, every cursor ends at the highest", async () => {
    const [a, b] = [await node(), await node()];
    const { roomIds, userIds } = await seed(a.db, 4, 10);
    const cursors = roomIds.flatMap((roomId) => userIds.map((userId) => ({ roomId, userId })));
    const rounds = 20;
    const asked: Promise<void>[] = [];
    const highest = new Map<string, number>();
    for (let round = 1; round <= rounds; round++) {
      // Each round a batch per node over every cursor, one node's list reversed; seqs shuffled.
      for (const [n, list] of [[a, cursors], [b, [...cursors].reverse()]] as const) {
        for (const [i, c] of list.entries()) {
          const seq = round * 10 + ((i * 7) % 10);
          highest.set(`${c.roomId} ${c.userId}`, Math.max(seq, highest.get(`${c.roomId} ${c.userId}`) ?? 0));
          asked.push(n.rooms.advanceRead(c.roomId, c.userId, seq).then((r) => {
            expect(r, "a member's answer").to.not.equal(null);
            expect(r!.lastReadSeq).to.be.at.least(seq);
          }));
        }
        n.rooms.advanceReadLater(list[0]!.roomId, list[0]!.userId, round * 10 - 5);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await Promise.all(asked);
    await Promise.all([a.rooms.flush(), b.rooms.flush()]);
    const rows = await a.db.prisma.membership.findMany({ where: { roomId: { in: roomIds } } });
    expect(rows).to.have.length(cursors.length);
    expect(rows.map((r) => r.lastReadSeq)).to.deep.equal(rows.map((r) => highest.get(`${r.roomId} ${r.userId}`)));
  });
});
