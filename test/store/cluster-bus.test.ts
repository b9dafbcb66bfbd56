// publishWithin (src/store/cluster-bus.ts): the bounded wait a block, a room removal and a bot's
// revocation make for their cluster notice. A bus whose publish never settles stands for Redis
// away (the notice waits in the offline queue).
import { expect } from "chai";
import { LocalBus, publishWithin, type ClusterBus } from "../../src/store/cluster-bus.js";

function stuckBus(): ClusterBus & { published: string[][] } {
  const published: string[][] = [];
  return {
    published,
    publish: (_channel, ids) => {
      published.push(ids);
      return new Promise<void>(() => {});
    },
    subscribe: () => {},
    close: async () => {},
  };
}

describe("publishWithin (unit)", () => {
  it("resolves once the bus has the notice, and this node's handlers have run", async () => {
    const bus = new LocalBus();
    const seen: string[][] = [];
    bus.subscribe("rooms", (ids) => seen.push(ids));
    await publishWithin(bus, "rooms", ["r1", "r2"], 60_000);
    expect(seen).to.deep.equal([["r1", "r2"]]);
  });

  it("gives up after its bound when the bus never takes the notice", async () => {
    const bus = stuckBus();
    const outcome = await Promise.race([
      publishWithin(bus, "blocks", ["u1"], 20).then(() => "gave up"),
      new Promise((resolve) => setTimeout(resolve, 5_000, "still waiting").unref()),
    ]);
    expect(outcome).to.equal("gave up");
    expect(bus.published).to.deep.equal([["u1"]]);
  });
});
