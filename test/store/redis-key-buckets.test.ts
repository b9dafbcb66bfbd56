// The key layout of the Redis registries on both topologies: one Redis keeps today's keys; a Redis
// Cluster puts each id's keys in its bucket's slot (so the Lua scripts stay on one slot) and spreads
// the buckets over the masters. Slots are asked of the test run's local cluster (CLUSTER KEYSLOT).
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { KeyBuckets } from "../../src/store/redis-key-buckets.js";
import { PresenceKeys } from "../../src/store/redis-presence-scripts.js";
import { sharedRedisCluster, type LocalRedisCluster } from "../helpers/redis-cluster.js";

describe("Redis key buckets", function () {
  this.timeout(60_000);

  it("on one Redis: one bucket and today's presence keys, unchanged", () => {
    const keys = new PresenceKeys("single");
    const id = randomUUID();
    expect(keys.buckets.count).to.equal(1);
    expect([keys.userKey(id), keys.seenKey(id), keys.expiryOf(id)]).to.deep.equal([`chat:presence:user:${id}`, `chat:presence:seen:${id}`, "chat:presence:expiry"]);
  });

  it("spreads ids evenly over the buckets, the same way on every node", () => {
    const buckets = new KeyBuckets("chat:x:", "x", "cluster");
    const counts = new Array<number>(buckets.count).fill(0);
    const ids = Array.from({ length: 1_600 }, () => randomUUID());
    for (const id of ids) counts[buckets.of(id)]!++;
    expect(Math.min(...counts), JSON.stringify(counts)).to.be.above(50);
    expect(ids.map((id) => new KeyBuckets("chat:x:", "x", "cluster").of(id))).to.deep.equal(ids.map((id) => buckets.of(id)));
  });

  describe("on a Redis Cluster", () => {
    let cluster: LocalRedisCluster;
    before(async () => {
      cluster = await sharedRedisCluster();
    });
    const slot = async (key: string) => Number(await cluster.client(cluster.nodes[0]!.port).call("CLUSTER", "KEYSLOT", key));

    it("puts a user's presence keys in the slot of their bucket's expiry set, and the buckets on every master", async () => {
      const keys = new PresenceKeys("cluster");
      for (const id of Array.from({ length: 50 }, () => randomUUID())) {
        const slots = await Promise.all([keys.userKey(id), keys.seenKey(id), keys.expiryOf(id)].map(slot));
        expect(new Set(slots).size, `${id}: ${slots}`).to.equal(1);
      }
      const owners = new Set(await Promise.all(keys.buckets.all().map((b) => cluster.masterOf(keys.expiryKey(b)))));
      expect(owners.size, "masters holding presence buckets").to.equal(3);
    });
  });
});
