// Data exports on real services (docs/accounts.md, "Export"): the routes' access rules, an archive
// of 10,000 messages over 50 rooms holding exactly the user's, streamed with the node's heap flat,
// and a build interrupted by a crashed node finished by another.
import { randomUUID } from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";
import { expect } from "chai";
import pg from "pg";
import { signUp, type TestUser } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { CLUSTER_JWT_SECRET, startTestNode } from "../helpers/nodes.js";
import { testDatabase } from "../helpers/services.js";
import { useCluster } from "../helpers/suite.js";
import { expectProblem } from "./expect.js";

const ROOMS = 50;
const MESSAGES = 10_000;
// Every fifth message of a room is someone else's: the archive must leave those out.
const OTHERS_EVERY = 5;
// About 1 KB of text each: a 10,000-message archive is over 10 MB, so an archive held in memory
// (as a string or a Buffer) would show plainly against the bound below.
const TEXT = "x".repeat(1_000);
// What the process may hold above its resting heap while a node builds or streams the archive,
// measured after a forced GC (live memory: JS heap plus ArrayBuffers, where Buffers live).
const HEAP_GROWTH_BOUND_BYTES = 8 * 1024 * 1024;
// Short, so a crashed node's build is taken over within the test (the floor EXPORT_LEASE_MS allows).
const LEASE_MS = 1_000;

/** A GC the test can force (made when the test runs, not when mocha loads the file): the measure is then what is live, not garbage not yet collected. */
let gc: (() => void) | undefined;
function forcedGc(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}
const liveBytes = () => {
  gc ??= forcedGc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

describe("account export on real services", function () {
  this.timeout(120_000);
  // Its own database: no node of another suite (with another DATA_DIR) claims these exports.
  const env = async () => ({ env: { DATABASE_URL: await testDatabase("chat_test_exports"), EXPORT_LEASE_MS: String(LEASE_MS) } });
  const { nodes: [a], apis: [apiA, apiB] } = useCluster(2, env, { sharedDataDir: true });

  let ann: TestUser;
  let bob: TestUser;
  const rooms: string[] = [];
  /** Per room, 1 at each seq of ann's messages (allocated before any heap is measured). */
  const expected = new Map<string, Uint8Array>();

  before(async function () {
    this.timeout(120_000);
    [ann, bob] = (await Promise.all([signUp(apiA, "Ann"), signUp(apiA, "Bob")])) as [TestUser, TestUser];
    for (let i = 0; i < ROOMS; i++) {
      const res = await apiA.post("/api/rooms", { type: "group", name: `Room ${i}`, memberIds: [] }, ann.accessToken);
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      rooms.push(res.body.room.id);
    }
    // The fastest honest path: the node's own message store (the one send path ends there too),
    // a room's messages concurrently, so the group commit batches them.
    const perRoom = MESSAGES / ROOMS;
    const total = perRoom + Math.ceil(perRoom / (OTHERS_EVERY - 1));
    await Promise.all(
      rooms.map(async (roomId) => {
        const marks = new Uint8Array(total + 2);
        expected.set(roomId, marks);
        let anns = 0;
        const sends = [];
        for (let i = 0; anns < perRoom; i++) {
          const mine = i % OTHERS_EVERY !== OTHERS_EVERY - 1;
          if (mine) anns++;
          const draft = { roomId, senderId: mine ? ann.id : bob.id, type: "text" as const, text: TEXT, attachments: [], clientMsgId: randomUUID() };
          sends.push(a.deps.messages.append(draft, new Date()).then(({ message }) => mine && (marks[message.seq] = 1)));
        }
        await Promise.all(sends);
      }),
    );
  });

  it("answers an export to its owner only: 202 pending, then NOT_FOUND to anyone else", async () => {
    const res = await apiA.post("/api/me/export", undefined, bob.accessToken);
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    expect(res.body).to.deep.equal({ export: { id: res.body.export.id, status: "pending" } });
    const id = res.body.export.id as string;
    expectProblem(await apiB.get(`/api/me/exports/${id}`, ann.accessToken), "NOT_FOUND");
    expectProblem(await apiB.get(`/api/me/exports/${id}/download`, ann.accessToken), "NOT_FOUND");
    expectProblem(await apiB.get(`/api/me/exports/${randomUUID()}`, bob.accessToken), "NOT_FOUND");
    expectProblem(await apiB.get(`/api/me/exports/${id}/download`), "UNAUTHORIZED");
    await eventually(async () => (await apiB.get(`/api/me/exports/${id}`, bob.accessToken)).body.export.status === "ready", { within: 20_000 });
  });

  it(`holds exactly the user's ${MESSAGES} messages over ${ROOMS} rooms, built and streamed with the heap flat`, async () => {
    const resting = liveBytes();
    let buildPeak = resting;
    const requested = await apiA.post("/api/me/export", undefined, ann.accessToken);
    const id = requested.body.export.id as string;
    const view = await eventually(
      async () => {
        buildPeak = Math.max(buildPeak, liveBytes());
        const got = (await apiA.get(`/api/me/exports/${id}`, ann.accessToken)).body.export;
        return got.status === "ready" && got;
      },
      { within: 60_000, every: 200, what: "the export to be ready" },
    );
    expect(view.downloadUrl).to.equal(`/api/me/exports/${id}/download`);
    expect(Date.parse(view.expiresAt) - Date.now()).to.be.within(7 * 86_400_000 - 60_000, 7 * 86_400_000);

    const res = await fetch(`${a.url}${view.downloadUrl}`, { headers: { authorization: `Bearer ${ann.accessToken}` } });
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.match(/^application\/x-ndjson/);
    const size = Number(res.headers.get("content-length"));
    // The download read slowly, a chunk at a time, the live heap measured between chunks.
    const decoder = new TextDecoder();
    let rest = "";
    let downloadPeak = resting;
    let received = 0;
    let nextSample = 0;
    const seen = new Map([...expected.keys()].map((r) => [r, new Uint8Array(expected.get(r)!.length)]));
    let messages = 0;
    let strays = 0;
    let last: any;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const text of lines) {
        last = JSON.parse(text);
        if (last.type !== "message") continue;
        messages++;
        const { roomId, seq } = last.message;
        if (!expected.get(roomId)?.[seq] || seen.get(roomId)![seq]) strays++;
        else seen.get(roomId)![seq] = 1;
      }
      if (received >= nextSample) {
        downloadPeak = Math.max(downloadPeak, liveBytes());
        nextSample = received + 256 * 1024;
      }
    }
    expect(received).to.equal(size);
    expect(last).to.deep.include({ type: "end" });
    expect(last.counts).to.include({ message: MESSAGES, room: ROOMS });
    expect([messages, strays]).to.deep.equal([MESSAGES, 0]);
    for (const [roomId, marks] of expected) expect(Buffer.from(seen.get(roomId)!).equals(Buffer.from(marks)), roomId).to.equal(true);

    console.log(
      `      archive ${mb(size)}; live heap + ArrayBuffers above rest (${mb(resting)}): ` +
        `${mb(buildPeak - resting)} at most while building, ${mb(downloadPeak - resting)} at most while streaming (bound ${mb(HEAP_GROWTH_BOUND_BYTES)})`,
    );
    expect(size, "the archive is larger than the bound, so the bound means something").to.be.above(HEAP_GROWTH_BOUND_BYTES);
    expect(buildPeak - resting).to.be.below(HEAP_GROWTH_BOUND_BYTES);
    expect(downloadPeak - resting).to.be.below(HEAP_GROWTH_BOUND_BYTES);
  });

  it("survives the crash of the node building it: another node takes it over once the lease ends", async function () {
    // A third node of the cluster (same database, Redis and DATA_DIR), killed mid-build.
    const doomed = await startTestNode({ redis: true, dataDir: a.dataDir, env: { JWT_SECRET: CLUSTER_JWT_SECRET, ...(await env()).env } });
    const db = new pg.Client({ connectionString: await testDatabase("chat_test_exports") });
    await db.connect();
    try {
      const res = await fetch(`${doomed.url}/api/me/export`, { method: "POST", headers: { authorization: `Bearer ${ann.accessToken}` } });
      const { export: queued } = (await res.json()) as { export: { id: string } };
      // Its own worker is woken by the request and claims it at once (attempt 1).
      const claimed = await eventually(async () => {
        const { rows } = await db.query(`SELECT "blobKey" FROM "AccountExport" WHERE id = $1 AND status = 'pending'`, [queued.id]);
        return rows[0]?.blobKey?.startsWith("1:") === true;
      });
      expect(claimed).to.equal(true);
      await doomed.kill();
      const killedAt = Date.now();
      const view = await eventually(
        async () => {
          const got = (await apiB.get(`/api/me/exports/${queued.id}`, ann.accessToken)).body.export;
          return got.status === "ready" && got;
        },
        { within: 60_000, every: 100, what: "another node to finish the export" },
      );
      expect(Date.now() - killedAt, "not before the dead node's lease ran out").to.be.at.least(LEASE_MS - 200);
      const { rows } = await db.query(`SELECT "blobKey" FROM "AccountExport" WHERE id = $1`, [queued.id]);
      expect(rows[0].blobKey).to.match(new RegExp(`^exports/${queued.id}/`));
      const download = await fetch(`${apiB.baseUrl}${view.downloadUrl}`, { headers: { authorization: `Bearer ${ann.accessToken}` } });
      expect(download.status).to.equal(200);
      expect((await download.text()).trimEnd().split("\n").at(-1)).to.contain('"type":"end"');
    } finally {
      await db.end();
      await doomed.kill();
    }
  });
});
