// LoadingCache (src/store/loading-cache.ts), under the member and block caches: shared reads, the
// size bound, and a read that began before a drop never storing what it saw.
import { expect } from "chai";
import { LoadingCache } from "../../src/store/loading-cache.js";

/** A store whose reads wait until released, counting them per key. */
function heldStore() {
  const reads: Record<string, number> = {};
  const waiting: (() => void)[] = [];
  let version = 0;
  return {
    reads,
    change: () => version++,
    release: () => waiting.splice(0).forEach((go) => go()),
    read: async (key: string) => {
      reads[key] = (reads[key] ?? 0) + 1;
      const seen = version;
      await new Promise<void>((resolve) => waiting.push(resolve));
      return `${key}@${seen}`;
    },
  };
}

describe("LoadingCache (unit)", () => {
  it("shares one read among the callers that ask while it runs, then answers from memory", async () => {
    const store = heldStore();
    const cache = new LoadingCache(store.read, { ttlMs: 60_000, maxEntries: 10 });
    const asked = [cache.get("r"), cache.get("r"), cache.get("r")];
    store.release();
    expect(await Promise.all(asked)).to.deep.equal(["r@0", "r@0", "r@0"]);
    expect(await cache.get("r")).to.equal("r@0");
    expect(store.reads).to.deep.equal({ r: 1 });
  });

  it("a read that began before a drop answers its callers but is not kept; a caller after the drop does not join it", async () => {
    const store = heldStore();
    const cache = new LoadingCache(store.read, { ttlMs: 60_000, maxEntries: 10 });
    const before = cache.get("r");
    store.change();
    cache.drop("r");
    const after = cache.get("r");
    store.release();
    expect(await before).to.equal("r@0");
    expect(await after).to.equal("r@1");
    expect(await cache.get("r")).to.equal("r@1");
    expect(store.reads).to.deep.equal({ r: 2 });
  });

  it("keeps at most maxEntries, the oldest going first", async () => {
    const store = heldStore();
    const cache = new LoadingCache(store.read, { ttlMs: 60_000, maxEntries: 2 });
    for (const key of ["a", "b", "c"]) {
      const got = cache.get(key);
      store.release();
      await got;
    }
    const again = [cache.get("b"), cache.get("c"), cache.get("a")];
    store.release();
    await Promise.all(again);
    expect(store.reads).to.deep.equal({ a: 2, b: 1, c: 1 });
  });

  it("past maxEntries drops it forgets which keys dropped when, and then keeps no read that began before", async () => {
    const store = heldStore();
    const cache = new LoadingCache(store.read, { ttlMs: 60_000, maxEntries: 2 });
    const before = cache.get("x");
    store.change();
    for (const key of ["a", "b", "c"]) cache.drop(key);
    store.release();
    expect(await before).to.equal("x@0");
    const after = cache.get("x");
    store.release();
    expect(await after, "read afresh: the old read was not kept").to.equal("x@1");
    expect(await cache.get("x"), "a read begun after is kept").to.equal("x@1");
    expect(store.reads).to.deep.equal({ x: 2 });
  });

  it("a ttl of 0 keeps nothing", async () => {
    const store = heldStore();
    const cache = new LoadingCache(store.read, { ttlMs: 0, maxEntries: 10 });
    for (let i = 0; i < 2; i++) {
      const got = cache.get("r");
      store.release();
      await got;
    }
    expect(store.reads).to.deep.equal({ r: 2 });
  });
});
