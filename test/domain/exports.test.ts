// Data exports (src/domain/exports.ts, export-archive.ts, export-worker.ts; docs/accounts.md) on the
// in-memory fakes: access, the archive's content, and the durable queue's claims.
import { expect } from "chai";
import { ExportWorker, MAX_EXPORT_ATTEMPTS, type ExportWorkerDeps } from "../../src/domain/export-worker.js";
import { EXPORT_TTL_MS, getExport, openExportDownload, requestExport, type ExportDeps } from "../../src/domain/exports.js";
import type { UserRecord } from "../../src/domain/user.js";
import { eventually } from "../helpers/eventually.js";
import { fakeDeps, type FakeDeps } from "../fakes/domain-deps.js";
import { MemoryAccountExportRepository } from "../fakes/memory-account-export-repository.js";
import { MemoryPlaylistRepository } from "../fakes/memory-playlist-repository.js";
import { MemoryTrackRepository } from "../fakes/memory-track-repository.js";
import { group, messagesIn, refusal, users } from "../fakes/scenario.js";

const LEASE_MS = 30_000;
const silent = { info() {}, warn() {}, error() {} };

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts).toString("utf8");
}

describe("account export (POST /api/me/export)", () => {
  let d: FakeDeps;
  let repo: MemoryAccountExportRepository;
  let tracks: MemoryTrackRepository;
  let playlists: MemoryPlaylistRepository;
  let deps: ExportDeps;
  let workerDeps: ExportWorkerDeps;
  let ann: UserRecord;
  let bob: UserRecord;
  const workers: ExportWorker[] = [];

  beforeEach(async () => {
    d = fakeDeps();
    [ann, bob] = await users(d, "Ann", "Bob");
    repo = new MemoryAccountExportRepository(d.clock);
    tracks = new MemoryTrackRepository(d.clock);
    playlists = new MemoryPlaylistRepository(d.clock);
    deps = { exports: repo, blobs: d.blobs, now: d.now };
    workerDeps = {
      ...d,
      attachmentFiles: d.attachmentRepo,
      tracks,
      playlists,
      exports: repo,
      log: silent,
      leaseMs: LEASE_MS,
      soleWorker: false,
      pollMs: 5,
    };
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  const startWorker = (over: Partial<ExportWorkerDeps> = {}) => {
    const worker = new ExportWorker({ ...workerDeps, ...over });
    workers.push(worker);
    worker.start();
    return worker;
  };
  const ready = (exportId: string) => eventually(async () => (await getExport(deps, ann.id, exportId)).status === "ready", { what: "the export to be ready" });

  it("queues one export at a time per user and wakes the worker once", async () => {
    let pokes = 0;
    const first = await requestExport({ ...deps, onExportQueued: () => pokes++ }, ann.id);
    const again = await requestExport({ ...deps, onExportQueued: () => pokes++ }, ann.id);
    expect(first).to.deep.equal({ id: first.id, status: "pending" });
    expect(again.id).to.equal(first.id);
    expect(pokes).to.equal(1);
  });

  it("shows an export to its owner only: anyone else's is NOT_FOUND, as a made-up one", async () => {
    const { id } = await requestExport(deps, ann.id);
    await refusal(getExport(deps, bob.id, id), "NOT_FOUND");
    await refusal(openExportDownload(deps, bob.id, id), "NOT_FOUND");
    await refusal(getExport(deps, ann.id, "0000000e-0000-7000-8000-0000000000ff"), "NOT_FOUND");
    await refusal(openExportDownload(deps, ann.id, id), "CONFLICT");
  });

  it("builds an archive of exactly the user's own data, with their files' bytes", async () => {
    const room = (await group(d, ann, [bob], "Team")).id;
    const left = (await group(d, bob, [ann], "Left")).id;
    await messagesIn(d, room, ann, 3);
    await messagesIn(d, room, bob, 2);
    await messagesIn(d, left, ann, 1);
    await d.rooms.removeMember(left, ann.id);
    const request = await d.friends.createRequest(bob.id, ann.id);
    await d.friends.respond(request.id, "accepted", d.clock.now());
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
    await d.blobs.put(`attachments/${room}/f1`, bytes);
    await d.attachmentRepo.create({ id: "00000006-0000-7000-8000-000000000001", roomId: room, uploaderId: ann.id, name: "f.bin", size: 1000, contentType: "application/octet-stream", storageKey: `attachments/${room}/f1`, thumbnailKey: null });
    const track = tracks.add(ann.id, "Tune");
    tracks.add(bob.id, "Not hers");
    await playlists.create(ann.id, "Mix", [track.id]);

    const { id } = await requestExport(deps, ann.id);
    startWorker().poke();
    await ready(id);
    const view = await getExport(deps, ann.id, id);
    expect(view.downloadUrl).to.equal(`/api/me/exports/${id}/download`);
    expect(Date.parse(view.expiresAt!) - Date.now()).to.be.within(EXPORT_TTL_MS - 7_200_000, EXPORT_TTL_MS);

    const download = await openExportDownload(deps, ann.id, id);
    const lines = (await readAll(download.stream)).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines[0]).to.include({ type: "export", exportId: id, userId: ann.id });
    expect(lines.at(-1)).to.deep.equal({ type: "end", counts: { profile: 1, friend: 1, room: 1, message: 4, attachment: 1, track: 1, playlist: 1 } });
    const of = (type: string) => lines.filter((l) => l.type === type);
    expect(of("profile")[0].user).to.include({ id: ann.id, email: ann.email });
    expect(of("friend").map((l) => l.user.id)).to.deep.equal([bob.id]);
    expect(of("room").map((l) => l.room.id)).to.deep.equal([room]);
    expect(of("message").map((l) => `${l.message.roomId}:${l.message.seq}`).sort()).to.deep.equal([`${left}:1`, `${room}:1`, `${room}:2`, `${room}:3`].sort());
    const file = of("attachment")[0];
    expect(file.attachment).to.include({ name: "f.bin", size: 1000, roomId: room });
    expect(Buffer.from(file.data, "base64").equals(bytes)).to.equal(true);
    expect(of("track").map((l) => l.track.title)).to.deep.equal(["Tune"]);
    expect(of("playlist")[0].playlist).to.include({ name: "Mix" });
  });

  it("keeps the archive 7 days: then the download is GONE, and the worker deletes the file", async () => {
    const { id } = await requestExport(deps, ann.id);
    startWorker().poke();
    await ready(id);
    const key = (await repo.find(id))!.blobKey!;
    expect(d.blobs.blobs.has(key)).to.equal(true);
    d.clock.advance(EXPORT_TTL_MS + 1);
    await refusal(openExportDownload(deps, ann.id, id), "GONE");
    expect((await getExport(deps, ann.id, id)).downloadUrl).to.equal(undefined);
    // A new worker sweeps at its start.
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    startWorker();
    await eventually(() => !d.blobs.blobs.has(key), { what: "the expired archive to be deleted" });
    await refusal(openExportDownload(deps, ann.id, id), "GONE");
  });

  it("takes over an export whose node died (its lease ran out), and the dead claim cannot finish it", async () => {
    const { id } = await requestExport(deps, ann.id);
    const dead = (await repo.claim(LEASE_MS, "dead-node"))!;
    await d.blobs.put(`exports/${id}/dead-node.ndjson.tmp`, Buffer.from("half an archi"));
    startWorker();
    d.clock.advance(LEASE_MS + 1);
    await ready(id);
    expect((await repo.find(id))!.blobKey).to.not.contain("dead-node");
    expect([...d.blobs.blobs.keys()].filter((k) => k.startsWith(`exports/${id}/`))).to.have.length(1);
    expect(await repo.finish(dead, { status: "failed", error: "late" })).to.equal(false);
  });

  it("on the embedded database, resumes at once what the last run left claimed", async () => {
    const { id } = await requestExport(deps, ann.id);
    await repo.claim(LEASE_MS, "previous-run");
    startWorker({ soleWorker: true });
    await ready(id);
  });

  it(`fails an export claimed ${MAX_EXPORT_ATTEMPTS} times without finishing`, async () => {
    const { id } = await requestExport(deps, ann.id);
    for (let i = 0; i < MAX_EXPORT_ATTEMPTS; i++) {
      await repo.claim(LEASE_MS, `crash-${i}`);
      d.clock.advance(LEASE_MS + 1);
    }
    startWorker();
    await eventually(async () => (await getExport(deps, ann.id, id)).status === "failed");
    expect((await getExport(deps, ann.id, id)).error).to.match(/interrupted 3 times/);
    await refusal(openExportDownload(deps, ann.id, id), "CONFLICT");
  });

  it("fails the export of an account deleted while it waited", async () => {
    const { id } = await requestExport(deps, ann.id);
    await d.users.remove(ann.id);
    startWorker().poke();
    await eventually(async () => (await repo.find(id))?.status === "failed");
  });
});
