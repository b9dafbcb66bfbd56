// A Redis Cluster shard failing over answers in words of its own: each is an outage (UNAVAILABLE,
// retry shortly), not a bug (INTERNAL).
import { expect } from "chai";
import { classifyFailure } from "../../src/store/outage.js";

describe("outage classification of Redis Cluster failures", () => {
  it("takes a shard failing over, or no reachable node, for an outage", () => {
    const allFailed = Object.assign(new Error("Failed to refresh slots cache."), { name: "ClusterAllFailedError" });
    for (const err of [
      new Error("CLUSTERDOWN The cluster is down"),
      new Error("TRYAGAIN Multiple keys request during rehashing of slot"),
      new Error("Too many Cluster redirections. Last error: Error: Connection is closed."),
      new Error("None of startup nodes is available"),
      allFailed,
      new Error("wrapped", { cause: new Error("CLUSTERDOWN Hash slot not served") }),
    ]) {
      expect(classifyFailure(err)?.code, err.message).to.equal("UNAVAILABLE");
    }
  });

  it("leaves a script error, or any other, to INTERNAL", () => {
    expect(classifyFailure(new Error("CROSSSLOT Keys in request don't hash to the same slot"))).to.equal(undefined);
    expect(classifyFailure(new Error("ERR Error running script"))).to.equal(undefined);
  });
});
