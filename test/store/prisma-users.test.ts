// Removing a user (src/store/prisma-users.ts) on real PostgreSQL: the rows that name the user in
// tables without a foreign key to User (kept off hot-path writes) go in the same transaction as
// the user's row; other users' rows stay.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import { PrismaUserRepository } from "../../src/store/prisma-users.js";
import { useNodeDatabases } from "../helpers/node-databases.js";

describe("users on PostgreSQL: removal", function () {
  this.timeout(30_000);
  const nodes = useNodeDatabases(2);

  it("takes the user's mention inbox, events feed and room bans with the user, and leaves everyone else's", async () => {
    const db = await nodes.open();
    const [ann, bob] = [randomUUID(), randomUUID()];
    const room = randomUUID();
    await db.prisma.user.createMany({ data: [ann, bob].map((id) => ({ id, email: `${id}@test`, passwordHash: "x", displayName: "u" })) });
    const at = new Date();
    // Each table gets a row for ann and one for bob; bob's ban was made by ann.
    await db.prisma.mention.createMany({ data: [{ userId: ann, roomId: room, seq: 1, senderId: bob, createdAt: at }, { userId: bob, roomId: room, seq: 2, senderId: ann, createdAt: at }] });
    await db.prisma.feedHead.createMany({ data: [{ userId: ann, lastSeq: 1 }, { userId: bob, lastSeq: 1 }] });
    await db.prisma.feedEvent.createMany({ data: [{ userId: ann, seq: 1, type: "room.updated", roomId: room }, { userId: bob, seq: 1, type: "room.updated", roomId: room }] });
    await db.prisma.roomBan.createMany({ data: [{ roomId: room, userId: ann, bannedBy: bob }, { roomId: room, userId: bob, bannedBy: ann }] });

    await new PrismaUserRepository(db.prisma).remove(ann);

    const rows = async () => ({
      users: (await db.prisma.user.findMany({ where: { id: { in: [ann, bob] } } })).map((u) => u.id),
      mentions: (await db.prisma.mention.findMany({ where: { roomId: room } })).map((m) => m.userId),
      heads: (await db.prisma.feedHead.findMany({ where: { userId: { in: [ann, bob] } } })).map((h) => h.userId),
      events: (await db.prisma.feedEvent.findMany({ where: { roomId: room } })).map((e) => e.userId),
      bans: (await db.prisma.roomBan.findMany({ where: { roomId: room } })).map((b) => b.userId),
    });
    expect(await rows()).to.deep.equal({ users: [bob], mentions: [bob], heads: [bob], events: [bob], bans: [bob] });
  });
});
