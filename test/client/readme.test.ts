// packages/client/README.md's quick start, as written: its code block is run with Node against a
// real node (importing the built package by its name), and type-checked against the published
// declarations. Only the environment it reads (CHAT_URL, CHAT_EMAIL, …) is supplied.
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import { Api, signUp } from "../helpers/api.js";
import { useNode } from "../helpers/suite.js";
import { buildPackage, packageDir, repoRoot, run } from "./built-package.js";

const MARKER = "<!-- quick-start: test/client/readme.test.ts runs the next block as written -->";

async function quickStart(): Promise<string> {
  const readme = await readFile(path.join(packageDir, "README.md"), "utf8");
  const after = readme.split(MARKER)[1];
  const block = after && /^\s*```ts\n([\s\S]*?)\n```/.exec(after);
  if (!block?.[1]) throw new Error("README.md: no ```ts block after the quick-start marker");
  return block[1];
}

describe("client SDK: the README's quick start", function () {
  this.timeout(180_000);
  const { node, api } = useNode();
  // Under the repository (.tmp/ is ignored), so "@chat-backend/client" resolves to the workspace package.
  const dir = path.join(repoRoot, ".tmp", `readme-${randomUUID()}`);
  before(async () => {
    await Promise.all([buildPackage(), mkdir(dir, { recursive: true })]);
    await writeFile(path.join(dir, "quick-start.ts"), await quickStart());
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("type-checks against the published declarations", async () => {
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"], lib: ["es2023"] },
        files: ["quick-start.ts"],
      }),
    );
    await writeFile(path.join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    await run(path.join(repoRoot, "node_modules/.bin/tsc"), ["-p", dir], { cwd: dir });
  });

  it("resyncs what was already in the room, sends, and prints what the server stored", async () => {
    const [me, friend] = await Promise.all([signUp(api, "Reader"), signUp(api, "Friend")]);
    const roomId: string = (await api.post("/api/rooms", { type: "direct", userId: me.id }, friend.accessToken)).body.room.id;
    for (const text of ["first", "second"]) await new Api(node.url).post(`/api/rooms/${roomId}/messages`, { clientMsgId: text, text }, friend.accessToken);

    const { stdout } = await run(process.execPath, ["--import", "tsx", path.join(dir, "quick-start.ts")], {
      cwd: dir,
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", CHAT_URL: node.url, CHAT_EMAIL: me.email, CHAT_PASSWORD: me.password, CHAT_ROOM: roomId },
    });
    const lines = stdout.trim().split("\n");
    expect(lines.slice(0, 3)).to.deep.equal(["#1 first", "#2 second", "connect 1: resynced, 2 missed"]);
    expect(lines.slice(3)).to.have.members(["#3 hello from the SDK", "stored as #3"]);
    const history = await api.get(`/api/rooms/${roomId}/messages`, friend.accessToken);
    expect(history.body.messages.map((m: { text: string; senderId: string }) => [m.text, m.senderId])).to.deep.equal([
      ["first", friend.id],
      ["second", friend.id],
      ["hello from the SDK", me.id],
    ]);
  });
});
