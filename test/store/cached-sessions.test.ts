// The per-node session liveness cache (src/store/cached-sessions.ts): two caches on one bus stand
// for two nodes; the store behind them is the in-memory fake, counting how often it is asked.
import { expect } from "chai";
import { CachedSessionRepository } from "../../src/store/cached-sessions.js";
import { LocalBus } from "../../src/store/cluster-bus.js";
import { MemorySessionRepository } from "../fakes/memory-session-repository.js";

const TOKEN_TTL_MS = 15 * 60_000;

class CountingSessions extends MemorySessionRepository {
  asked = 0;
  override async isLive(sessionId: string, userId: string) {
    this.asked++;
    return super.isLive(sessionId, userId);
  }
}

function twoNodes() {
  const store = new CountingSessions();
  const bus = new LocalBus();
  const a = new CachedSessionRepository(store, bus, TOKEN_TTL_MS);
  const b = new CachedSessionRepository(store, bus, TOKEN_TTL_MS);
  return { store, a, b };
}

const later = new Date(Date.now() + 86_400_000);

describe("session liveness cache (unit)", () => {
  it("refuses a session revoked through one node on the other at once, though the other had it cached as live", async () => {
    const { store, a, b } = twoNodes();
    const { id } = await store.create("u1", "h", later);
    expect(await b.isLive(id, "u1")).to.equal(true);
    const closed: string[][] = [];
    b.onRevoked((ids) => closed.push(ids));
    await a.revoke(id, new Date());
    expect(await b.isLive(id, "u1")).to.equal(false);
    expect(closed).to.deep.equal([[id]]);
  });

  it("asks the store once per session while it is live, and once for a dead one", async () => {
    const { store, a } = twoNodes();
    const { id } = await store.create("u1", "h", later);
    for (let i = 0; i < 5; i++) expect(await a.isLive(id, "u1")).to.equal(true);
    expect(store.asked).to.equal(1);
    const gone = "00000000-0000-4000-8000-000000000000";
    for (let i = 0; i < 5; i++) expect(await a.isLive(gone, "u1")).to.equal(false);
    expect(store.asked).to.equal(2);
  });
});
