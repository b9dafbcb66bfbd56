// The per-node block cache (src/store/cached-blocks.ts): two caches on one bus stand for two
// nodes; the store behind them is the in-memory fake, counting how often it is asked.
import { expect } from "chai";
import { CachedBlockRepository } from "../../src/store/cached-blocks.js";
import { LocalBus } from "../../src/store/cluster-bus.js";
import { TestClock } from "../fakes/clock.js";
import { MemoryBlockRepository } from "../fakes/memory-block-repository.js";
import { MemoryUserRepository } from "../fakes/memory-user-repository.js";

class CountingBlocks extends MemoryBlockRepository {
  asked = 0;
  /** When set, blockersOf reads the rows, then waits for this before answering (a slow query). */
  hold: Promise<void> | null = null;

  override async blockedBy(userId: string) {
    this.asked++;
    return super.blockedBy(userId);
  }

  override async blockersOf(userId: string) {
    this.asked++;
    const rows = await super.blockersOf(userId);
    if (this.hold) await this.hold;
    return rows;
  }
}

function twoNodes() {
  const clock = new TestClock();
  const store = new CountingBlocks(new MemoryUserRepository(clock), clock);
  const bus = new LocalBus();
  return { store, a: new CachedBlockRepository(store, bus), b: new CachedBlockRepository(store, bus) };
}

const ANN = "00000001-0000-7000-8000-000000000001";
const BOB = "00000001-0000-7000-8000-000000000002";

describe("block cache (unit)", () => {
  it("a block through one node is in force on the other at once, though the other had both users' sets cached", async () => {
    const { a, b } = twoNodes();
    expect([...(await b.blockersOf(BOB))]).to.deep.equal([]);
    expect([...(await b.blockedBy(ANN))]).to.deep.equal([]);
    expect(await b.isBlocked(ANN, BOB)).to.equal(false);
    await a.block(ANN, BOB);
    expect([...(await b.blockersOf(BOB))]).to.deep.equal([ANN]);
    expect([...(await b.blockedBy(ANN))]).to.deep.equal([BOB]);
    expect(await b.isBlocked(ANN, BOB)).to.equal(true);
    expect(await b.eitherBlocked(BOB, ANN)).to.equal(true);
    await a.unblock(ANN, BOB);
    expect(await b.isBlocked(ANN, BOB)).to.equal(false);
    expect((await b.blockersOf(BOB)).size).to.equal(0);
  });

  it("asks the store once per user and direction while cached, and once for concurrent misses", async () => {
    const { store, a } = twoNodes();
    await Promise.all([a.blockersOf(BOB), a.blockersOf(BOB), a.blockersOf(BOB)]);
    for (let i = 0; i < 5; i++) await a.blockersOf(BOB);
    expect(store.asked).to.equal(1);
    for (let i = 0; i < 5; i++) await a.isBlocked(ANN, BOB);
    expect(store.asked).to.equal(2);
  });

  it("a read that began before a block does not keep the old answer after it", async () => {
    const { store, a, b } = twoNodes();
    let release!: () => void;
    store.hold = new Promise((resolve) => (release = resolve));
    const early = b.blockersOf(BOB);
    // Let the slow read take its rows, then block while it is still out.
    await new Promise((resolve) => setImmediate(resolve));
    await a.block(ANN, BOB);
    store.hold = null;
    release();
    expect((await early).size).to.equal(0);
    expect([...(await b.blockersOf(BOB))]).to.deep.equal([ANN]);
  });
});
