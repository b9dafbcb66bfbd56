// SIGTERM's first step (PROTOCOL, operating contract): /readyz answers 503 while the node still
// serves, until the proxy says it has taken the node out (HAProxy's `http-check send-state`
// header), then the node drains and closes. No HAProxy needed: the checks are sent by hand.
import { expect } from "chai";
import { Drain } from "../../src/http/drain.js";
import { Api } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { startTestNode } from "../helpers/nodes.js";
import { NODE_START_TIMEOUT_MS } from "../http/expect.js";

const check = (state: string) => `UP; address=127.0.0.1; port=3000; name=app/app1; node=lb; weight=1/2; scur=0/0; qcur=0`.replace(/^UP/, state);

describe("draining: not ready first, closed once the proxy has the node out", function () {
  it("waits for nothing when no proxy has checked the node lately", async () => {
    const drain = new Drain();
    drain.noteCheck(undefined); // a plain /readyz (an operator, another checker): not HAProxy
    expect(await drain.begin(5_000)).to.equal("no-proxy");
    expect(drain.active).to.equal(true);
  });

  it("with HAProxy checking: waits until a check says its 503 is the last failure needed, or DOWN", async () => {
    for (const [last, outcome] of [
      ["UP 1/2", "proxy-down"],
      ["UP 1/3", "proxy-down"],
      ["DOWN", "proxy-down"],
      ["MAINT", "proxy-down"],
    ] as const) {
      const drain = new Drain();
      drain.noteCheck(check("UP"));
      let result: string | undefined;
      void drain.begin(5_000).then((r) => (result = r));
      drain.noteCheck(check("UP")); // the first failure of two or three: not yet
      drain.noteCheck(check("UP 2/3"));
      await new Promise((r) => setImmediate(r));
      expect(result, `after UP, UP 2/3`).to.equal(undefined);
      drain.noteCheck(check(last));
      await eventually(() => result === outcome, { what: `${outcome} after ${last}` });
    }
  });

  it("stops waiting after maxWaitMs when the proxy never says", async () => {
    const drain = new Drain();
    drain.noteCheck(check("UP"));
    const started = Date.now();
    expect(await drain.begin(100)).to.equal("timeout");
    expect(Date.now() - started).to.be.within(90, 2_000);
  });

  it("a stopping node answers /readyz 503 draining and keeps serving until the proxy has it DOWN, then closes", async function () {
    this.timeout(NODE_START_TIMEOUT_MS + 20_000);
    const node = await startTestNode({ redis: true });
    const api = new Api(node.url);
    const probe = (state: string) => api.request("GET", "/readyz", { headers: { "x-haproxy-server-state": check(state) } });
    try {
      expect((await probe("UP")).status).to.equal(200);
      let stopped = false;
      const stopping = node.stop().then(() => (stopped = true));
      const res = await eventually(async () => {
        const r = await probe("UP");
        return r.status === 503 ? r : false;
      }, { what: "/readyz 503 after stop()" });
      expect(res.body).to.include({ status: "draining" });
      // Still serving: the proxy has not taken it out yet.
      expect((await api.get("/healthz")).status).to.equal(200);
      expect((await probe("UP 2/3")).status).to.equal(503);
      expect(stopped).to.equal(false);
      // This 503 is the last failure HAProxy needs: the node drains and closes.
      expect((await probe("UP 1/3")).status).to.equal(503);
      await stopping;
      const after = await fetch(`${node.url}/healthz`).then(
        (r) => r.status,
        () => "refused",
      );
      expect(after).to.equal("refused");
    } finally {
      await node.stop();
    }
  });
});
