// The transcode queue's claims on real PostgreSQL: concurrent claimers never share a job, leases
// expire, and only the current claim can finish a job.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../../src/store/generated/prisma/client.js";
import { PrismaTrackRepository } from "../../src/store/prisma-tracks.js";
import { uuidv7 } from "../../src/domain/uuid7.js";
import { eventually } from "../helpers/eventually.js";
import { startTestNode } from "../helpers/nodes.js";
import { testDatabase } from "../helpers/services.js";

describe("transcode queue on PostgreSQL", function () {
  this.timeout(30_000);
  let clients: InstanceType<typeof PrismaClient>[] = [];
  let owner: string;

  before(async () => {
    // A database of its own: these claims must never take a job of a node in another suite.
    const env = { DATABASE_URL: await testDatabase("chat_test_media_queue") };
    // A node migrates the database; it is stopped before the test so its worker claims nothing.
    await (await startTestNode({ env })).stop();
    // Two clients with pools of their own, as two nodes would have.
    clients = [0, 1].map(() => new PrismaClient({ adapter: new PrismaPg({ connectionString: env.DATABASE_URL!, max: 5 }) }));
    owner = randomUUID();
  });
  after(async () => {
    await clients[0]?.track.deleteMany({ where: { ownerId: owner } });
    await Promise.all(clients.map((c) => c.$disconnect()));
  });

  it("gives each queued job to exactly one of many concurrent claimers", async () => {
    const [a, b] = clients.map((c) => new PrismaTrackRepository(c));
    // A run killed mid-test may have left jobs: count only this run's.
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) ids.add((await a!.createWithJob({ id: uuidv7(), ownerId: owner, title: `t${i}`, artist: null })).id);
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a! : b!).claimJob(60_000)));
    const mine = claims.filter((c) => c && ids.has(c.trackId));
    expect(new Set(mine.map((c) => c!.trackId)).size, "no job claimed twice").to.equal(mine.length);
    // Every one of ours was claimed once (20 claimers, 6 jobs, plus any left by a killed run).
    const all = claims.filter(Boolean).map((c) => c!.trackId);
    expect(new Set(all).size).to.equal(all.length);
    const remaining = await a!.claimJob(60_000);
    expect(remaining === null || !ids.has(remaining.trackId), "nothing of ours left to claim").to.equal(true);
    expect(mine).to.have.length(6);
  });

  it("lets a lapsed claim be taken over, and only the newer claim finish the job", async () => {
    const repo = new PrismaTrackRepository(clients[0]!);
    const track = await repo.createWithJob({ id: uuidv7(), ownerId: owner, title: "lease", artist: null });
    let first = await repo.claimJob(200);
    while (first && first.trackId !== track.id) first = await repo.claimJob(60_000); // skip any left by a killed run
    expect(first).to.include({ trackId: track.id, attempts: 1 });
    expect(await repo.renewJob(first!, 200)).to.equal(true);
    // Claimable again once the lease (database clock) runs out: poll for it rather than sleep past it.
    const second = await eventually(
      async () => {
        let claim = await repo.claimJob(60_000);
        while (claim && claim.trackId !== track.id) claim = await repo.claimJob(60_000);
        return claim ?? false;
      },
      { every: 20, what: "the lapsed claim to be claimable" },
    );
    expect(second).to.include({ trackId: track.id, attempts: 2 });
    expect(await repo.renewJob(first!, 60_000)).to.equal(false);
    expect(await repo.finishJob(first!, { status: "failed", error: "late" })).to.equal(false);
    expect(await repo.finishJob(second, { status: "ready", durationMs: 1000, loudnessLufs: -20 })).to.equal(true);
    expect(await repo.find(track.id)).to.include({ status: "ready", durationMs: 1000, error: null });
  });
});
