// The Block table's per-user sets (src/store/prisma-blocks.ts) on real PostgreSQL: the sets asked
// for in one tick come from one statement (a room.updated flush asks for every viewer's at once),
// and each user gets exactly their own rows, either side of a block.

import { randomUUID } from "node:crypto";

import { expect } from "chai";

import type { Prisma } from "../../src/store/database.js";
import { PrismaBlockRepository } from "../../src/store/prisma-blocks.js";
import { useNodeDatabases } from "../helpers/node-databases.js";

/** The client, with the Block table's findMany calls counted (the statements the sets cost). */
function counting(prisma: Prisma) {
  const calls = { findMany: 0 };
  const block = new Proxy(prisma.block, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== "findMany" || typeof value !== "function") return value;
      return (...args: unknown[]) => (calls.findMany++, (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  const client = new Proxy(prisma, { get: (target, key, receiver) => (key === "block" ? block : Reflect.get(target, key, receiver)) });
  return { client: client as Prisma, calls };
}

describe("blocks on PostgreSQL: per-user sets", function () {
  this.timeout(30_000);
  const nodes = useNodeDatabases(4);

  it("reads the sets asked for in one tick in one statement, each user's own, either side", async () => {
    const db = await nodes.open();
    const [ann, bob, cat, dan, eve] = Array.from({ length: 5 }, () => randomUUID()) as [string, string, string, string, string];
    await db.prisma.user.createMany({ data: [ann, bob, cat, dan, eve].map((id) => ({ id, email: `${id}@test`, passwordHash: "x", displayName: "u" })) });
    await db.prisma.block.createMany({
      data: [
        { blockerId: ann, blockedId: bob },
        { blockerId: ann, blockedId: cat },
        { blockerId: dan, blockedId: ann },
      ],
    });
    const { client, calls } = counting(db.prisma);
    const blocks = new PrismaBlockRepository(client);

    const blockedBy = await Promise.all([ann, bob, dan, eve].map((id) => blocks.blockedBy(id)));
    expect(blockedBy.map((s) => [...s].sort())).to.deep.equal([[bob, cat].sort(), [], [ann], []]);
    expect(calls.findMany).to.equal(1);

    const blockersOf = await Promise.all([ann, bob, cat, eve].map((id) => blocks.blockersOf(id)));
    expect(blockersOf.map((s) => [...s])).to.deep.equal([[dan], [ann], [ann], []]);
    expect(calls.findMany).to.equal(2);

    // Asked again later: read again (caching is cached-blocks.ts's business, not this table's).
    expect([...(await blocks.blockersOf(ann))]).to.deep.equal([dan]);
    expect(calls.findMany).to.equal(3);
  });
});
