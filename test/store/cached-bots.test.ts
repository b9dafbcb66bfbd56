// The per-node bot token cache (src/store/cached-bots.ts): two caches on one bus stand for two
// nodes; the store behind them is the in-memory fake, counting how often it is asked.
import { expect } from "chai";
import { hashBotToken, UNUSABLE_PASSWORD_HASH } from "../../src/domain/bots.js";
import type { UsableBot } from "../../src/domain/ports/bot-repository.js";
import { CachedBotRepository } from "../../src/store/cached-bots.js";
import { LocalBus } from "../../src/store/cluster-bus.js";
import { TestClock } from "../fakes/clock.js";
import { MemoryBotRepository } from "../fakes/memory-bot-repository.js";
import { MemoryUserRepository } from "../fakes/memory-user-repository.js";

class CountingBots extends MemoryBotRepository {
  asked = 0;
  /** Runs once, while the next lookup is under way (after the store read, before it answers). */
  duringLookup?: () => Promise<void>;
  override async findUsable(tokenHash: string): Promise<UsableBot | null> {
    this.asked++;
    const found = await super.findUsable(tokenHash);
    const during = this.duringLookup;
    this.duringLookup = undefined;
    await during?.();
    return found;
  }
}

async function twoNodes() {
  const clock = new TestClock();
  const users = new MemoryUserRepository(clock);
  const store = new CountingBots(users, clock);
  const bus = new LocalBus();
  const a = new CachedBotRepository(store, bus);
  const b = new CachedBotRepository(store, bus);
  const owner = await users.add({ displayName: "Owner" });
  let n = 0;
  const bot = async () => {
    const token = `cb_${String(++n).padStart(43, "A")}`;
    const made = await store.create({ ownerId: owner.id, name: `Bot ${n}`, tokenHash: hashBotToken(token), user: { email: `bot-${n}@bots.invalid`, passwordHash: UNUSABLE_PASSWORD_HASH } }, 20);
    if (made === "limit") throw new Error("limit");
    return { ...made.created, hash: hashBotToken(token) };
  };
  return { store, a, b, bot };
}

describe("bot token cache (unit)", () => {
  it("refuses a bot revoked through one node on the other at once, though the other had it cached, and tells its handlers", async () => {
    const { a, b, bot } = await twoNodes();
    const one = await bot();
    expect(await b.findUsable(one.hash)).to.deep.equal({ id: one.id, userId: one.userId });
    const closed: string[][] = [];
    b.onRevoked((ids) => closed.push(ids));
    await a.revoke([one.id], new Date());
    expect(await b.findUsable(one.hash)).to.equal(null);
    expect(closed).to.deep.equal([[one.id]]);
  });

  it("asks the store once per token while it is usable, and once for a token of no bot", async () => {
    const { store, a, bot } = await twoNodes();
    const one = await bot();
    for (let i = 0; i < 5; i++) expect((await a.findUsable(one.hash))?.id).to.equal(one.id);
    expect(store.asked).to.equal(1);
    for (let i = 0; i < 5; i++) expect(await a.findUsable(hashBotToken("cb_nobody"))).to.equal(null);
    expect(store.asked).to.equal(2);
  });

  it("does not keep, nor answer, a lookup that read the store before a revocation that arrived while it ran", async () => {
    const { store, a, b, bot } = await twoNodes();
    const one = await bot();
    // The read sees the bot usable; the revocation lands before the lookup answers.
    store.duringLookup = () => a.revoke([one.id], new Date());
    expect(await b.findUsable(one.hash)).to.equal(null);
    expect(await b.findUsable(one.hash)).to.equal(null);
  });

  it("keeps other bots cached through a revocation", async () => {
    const { store, a, b, bot } = await twoNodes();
    const [one, two] = [await bot(), await bot()];
    await b.findUsable(two.hash);
    const asked = store.asked;
    await a.revoke([one.id], new Date());
    expect((await b.findUsable(two.hash))?.id).to.equal(two.id);
    expect(store.asked).to.equal(asked);
  });
});
