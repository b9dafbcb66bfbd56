// The composition root's feature list (src/composition/features.ts) against the source tree: a
// feature is found by one name in every layer it has (docs/architecture.md, "Features").
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { startTestNode, type TestNode } from "../helpers/nodes.js";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const filesIn = (dir: string) => new Set(readdirSync(SRC + dir).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)));
// Features whose wire shapes are all shared ones: follows takes a user id and answers pages of users.
const NO_SCHEMAS_OF_THEIR_OWN = new Set(["follows"]);

describe("composition: the features and the source tree", function () {
  let node: TestNode;
  before(async function () {
    this.timeout(30_000);
    node = await startTestNode();
  });
  after(async () => node?.stop());

  it("every feature has its use cases, its contract and each door it mounts under its own name", () => {
    const [domain, protocol, routes, realtime] = ["domain", "protocol", "http/routes", "realtime"].map(filesIn);
    for (const f of node.features) {
      expect(domain!.has(f.name), `src/domain/${f.name}.ts`).to.equal(true);
      if (!NO_SCHEMAS_OF_THEIR_OWN.has(f.name)) expect(protocol!.has(f.name), `src/protocol/${f.name}.ts`).to.equal(true);
      expect(routes!.has(f.name), `src/http/routes/${f.name}.ts`).to.equal(f.routes !== undefined);
      // The accounts feature's socket side is the handshake (src/realtime/accounts.ts), not a handler group.
      expect(realtime!.has(f.name), `src/realtime/${f.name}.ts`).to.equal(f.socket !== undefined || f.name === "accounts");
    }
  });

  it("every route module and every socket handler group is mounted, by the feature of its name", () => {
    const names = new Map(node.features.map((f) => [f.name, f]));
    for (const file of filesIn("http/routes")) expect(names.get(file)?.routes, `src/http/routes/${file}.ts`).to.be.a("function");
    for (const file of filesIn("realtime")) {
      if (!/^export function register\(/m.test(readFileSync(`${SRC}realtime/${file}.ts`, "utf8"))) continue;
      expect(names.get(file)?.socket, `src/realtime/${file}.ts`).to.be.a("function");
    }
  });
});
