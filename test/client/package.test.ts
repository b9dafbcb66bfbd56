// The SDK as npm would publish it: the packed files, their imports (the declarations of
// src/protocol travel inside the package; only the declared dependencies are imported from
// outside), and a consumer outside the repository that type-checks and runs against it.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { buildPackage, packageDir, repoRoot, run } from "./built-package.js";

const manifest = JSON.parse(await readFile(path.join(packageDir, "package.json"), "utf8")) as { dependencies: Record<string, string>; files: string[] };
const dependencies = Object.keys(manifest.dependencies);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Every module specifier a file imports or re-exports (static, dynamic and `import("…")` types). */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:(?:^|[\s}*])from\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"'\n]+)["']/gm)].map((m) => m[1]!);
}

describe("client SDK: the published package", function () {
  this.timeout(180_000);
  let consumer: string;
  before(async () => {
    await buildPackage();
    consumer = await mkdtemp(path.join(tmpdir(), "chat-sdk-consumer-"));
  });
  after(() => rm(consumer, { recursive: true, force: true }));

  it("packs only its build, its README and its manifest", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: packageDir });
    const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    expect(files).to.include.members(["package.json", "README.md", "dist/index.js", "dist/types/packages/client/src/index.d.ts", "dist/types/src/protocol/messages.d.ts"]);
    for (const f of files) expect(f, f).to.match(/^(dist\/|README\.md$|package\.json$)/);
  });

  it("imports nothing from outside the package but its declared dependencies", async () => {
    const dist = path.join(packageDir, "dist");
    const files = (await filesUnder(dist)).filter((f) => f.endsWith(".d.ts") || f.endsWith(".js"));
    expect(files.length).to.be.greaterThan(20);
    for (const file of files) {
      for (const spec of specifiers(await readFile(file, "utf8"))) {
        if (!spec.startsWith(".")) {
          expect(dependencies, `${path.relative(dist, file)} imports ${spec}`).to.include(spec.split("/")[0]);
          continue;
        }
        const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, file.endsWith(".d.ts") ? ".d.ts" : ".js"));
        expect(target.startsWith(dist + path.sep), `${path.relative(dist, file)} imports ${spec}, outside dist/`).to.equal(true);
        expect(files, `${path.relative(dist, file)} imports ${spec}, which is not there`).to.include(target);
      }
    }
  });

  it("type-checks and runs in a project of its own, installed from the packed tarball", async () => {
    const modules = path.join(consumer, "node_modules");
    await mkdir(path.join(modules, "@chat-backend", "client"), { recursive: true });
    const { stdout } = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", consumer], { cwd: packageDir });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    await run("tar", ["-xzf", path.join(consumer, filename), "-C", path.join(modules, "@chat-backend", "client"), "--strip-components=1"]);
    for (const dep of dependencies) await symlink(path.join(repoRoot, "node_modules", dep), path.join(modules, dep));
    await writeFile(path.join(consumer, "package.json"), JSON.stringify({ type: "module", private: true }));
    await writeFile(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "es2022", module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, lib: ["es2022", "dom"], types: [] }, files: ["app.ts"] }),
    );
    await writeFile(
      path.join(consumer, "app.ts"),
      [
        `import { ChatClient, ChatError, RoomTimeline, type ClientPayload, type Message } from "@chat-backend/client";`,
        `const client = new ChatClient({ urls: ["https://chat.example"] });`,
        `const timeline: RoomTimeline = client.room("r");`,
        `const send: ClientPayload<"message:send"> = { roomId: "r", clientMsgId: "c", text: "hi" };`,
        `// @ts-expect-error: payloads are typed from the server's schemas`,
        `const wrong: ClientPayload<"message:send"> = { roomId: "r", clientMsgId: "c", text: 1 };`,
        `const last: Message | undefined = timeline.messages().at(-1);`,
        `client.rest.history("r", { limit: 10 }).then((page) => page.messages.map((m) => m.seq), (e: ChatError) => e.code);`,
        `console.log(send, wrong, last);`,
      ].join("\n"),
    );
    await run(path.join(repoRoot, "node_modules/.bin/tsc"), ["-p", consumer], { cwd: consumer });
    const script = [
      `import { RoomTimeline, ROUTES } from "@chat-backend/client";`,
      `const t = new RoomTimeline("r");`,
      `t.apply([{ id: "r:1", roomId: "r", seq: 1, senderId: "u", type: "text", text: "hi", attachments: [], clientMsgId: null, createdAt: "2026-12-06T00:00:00.000Z", rev: 1, reactions: [] }]);`,
      `console.log(JSON.stringify({ position: t.position(), send: ROUTES.send.path }));`,
    ].join("\n");
    await writeFile(path.join(consumer, "run.mjs"), script);
    const ran = await run(process.execPath, ["run.mjs"], { cwd: consumer });
    expect(JSON.parse(ran.stdout)).to.deep.equal({ position: { afterSeq: 1, afterRev: 1 }, send: "/rooms/:id/messages" });
  });
});
