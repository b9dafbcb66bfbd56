// The media feature's pure parts and its transcode worker against port fakes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { DomainError } from "../../src/domain/errors.js";
import { safeFileName } from "../../src/domain/file-name.js";
import { TranscodeFailed, type AudioTranscoder, type HlsOutput } from "../../src/domain/ports/audio-transcoder.js";
import type { BlobStorage } from "../../src/domain/ports/blob-storage.js";
import type { ClaimedJob, TrackRecord, TrackRepository } from "../../src/domain/ports/track-repository.js";
import { HlsFiles, trackHlsKey, trackSourceKey } from "../../src/domain/tracks.js";
import { MAX_ATTEMPTS, TranscodeWorker } from "../../src/domain/transcode-worker.js";
import { uuidv7 } from "../../src/domain/uuid7.js";
import { parseRange } from "../../src/http/byte-range.js";
import { contentDisposition } from "../../src/http/content-disposition.js";
import { FileBlobStorage } from "../../src/store/file-blob-storage.js";
import { eventually } from "../helpers/eventually.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : "not a domain error";
  }
  return undefined;
}

describe("media units", () => {
  describe("safeFileName", () => {
    it("keeps ordinary and Unicode names, trimmed and NFC-normalized", () => {
      expect(safeFileName("  report.pdf ")).to.equal("report.pdf");
      expect(safeFileName("e\u0301te\u0301.txt")).to.equal("\u00e9t\u00e9.txt");
      expect(safeFileName(".bashrc")).to.equal(".bashrc");
      expect(safeFileName("a".repeat(255))).to.have.length(255);
    });
    for (const bad of ["", "   ", "a/b", "../x", "..\\x", "C:\\evil", "a\nb", "a\rb", "a\u0000b", "a\u007fb", "x\u202egpj.exe", ".", "..", "é".repeat(128)]) {
      it(`refuses ${JSON.stringify(bad)} with VALIDATION`, () => {
        expect(codeOf(() => safeFileName(bad))).to.equal("VALIDATION");
      });
    }
  });

  describe("parseRange", () => {
    const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
      [undefined, { kind: "full" }],
      ["bytes=0-0", { kind: "partial", start: 0, end: 0 }],
      ["bytes=10-", { kind: "partial", start: 10, end: 99 }],
      ["bytes=-10", { kind: "partial", start: 90, end: 99 }],
      ["bytes=-1000", { kind: "partial", start: 0, end: 99 }],
      ["bytes=50-1000", { kind: "partial", start: 50, end: 99 }],
      ["BYTES=1-2", { kind: "partial", start: 1, end: 2 }],
      ["bytes=100-", { kind: "unsatisfiable" }],
      ["bytes=100-200", { kind: "unsatisfiable" }],
      ["bytes=-0", { kind: "unsatisfiable" }],
      ["bytes=5-1", { kind: "full" }],
      ["bytes=0-1,3-4", { kind: "full" }],
      ["bytes=abc", { kind: "full" }],
      ["bytes=-", { kind: "full" }],
      ["pages=1-2", { kind: "full" }],
      ["bytes=99999999999999999999-", { kind: "full" }],
    ];
    for (const [header, expected] of cases) {
      it(`reads ${JSON.stringify(header)} of 100 bytes as ${JSON.stringify(expected)}`, () => {
        expect(parseRange(header, 100)).to.deep.equal(expected);
      });
    }
  });

  describe("contentDisposition", () => {
    it("quotes a safe ASCII fallback and percent-encodes the real name", () => {
      expect(contentDisposition("attachment", "a.txt")).to.equal(`attachment; filename="a.txt"; filename*=UTF-8''a.txt`);
      expect(contentDisposition("inline", 'x"\\%\u00e9.png')).to.equal(`inline; filename="x____.png"; filename*=UTF-8''x%22%5C%25%C3%A9.png`);
    });
    it("can never carry a line break or an unescaped quote", () => {
      const header = contentDisposition("attachment", 'evil"\r\nSet-Cookie: a=b');
      expect(header).to.not.match(/[\r\n]/);
      expect(header.match(/"/g)).to.have.length(2);
    });
  });

  describe("FileBlobStorage", () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "blobs-"));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    it("refuses keys that could leave its root", async () => {
      const store = new FileBlobStorage(path.join(dir, "root"));
      for (const key of ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", ".hidden", "a\\b", "", "a/"]) {
        let threw = false;
        try {
          await store.put(key, Buffer.from("x"));
        } catch {
          threw = true;
        }
        expect(threw, key).to.equal(true);
      }
    });

    it("reads an inclusive byte range and reports the whole size", async () => {
      const store = new FileBlobStorage(path.join(dir, "root"));
      await store.put("a/b", Buffer.from("0123456789"));
      const blob = await store.open("a/b", { start: 2, end: 4 });
      const chunks: Buffer[] = [];
      for await (const c of blob!.stream) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).to.equal("234");
      expect(blob!.size).to.equal(10);
    });
  });

  it("uuidv7 ids sort by creation time", () => {
    const ids = [uuidv7(1_000), uuidv7(2_000), uuidv7(2_001), uuidv7(1_700_000_000_000)];
    expect([...ids].sort()).to.deep.equal(ids);
    for (const id of ids) expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

// ---- The transcode worker against fakes: the queue's rules without ffmpeg or a database.

class MemoryBlobs implements BlobStorage {
  readonly files = new Map<string, Buffer>();
  async put(key: string, bytes: Buffer) {
    this.files.set(key, bytes);
  }
  async open(key: string) {
    const b = this.files.get(key);
    return b ? { stream: Readable.from([b]), size: b.length } : null;
  }
  async delete(key: string) {
    this.files.delete(key);
  }
  async putStream(key: string, source: AsyncIterable<Buffer | string>) {
    const parts: Buffer[] = [];
    for await (const part of source) parts.push(Buffer.from(part));
    this.files.set(key, Buffer.concat(parts));
  }
  async deleteAll(prefix: string) {
    for (const key of [...this.files.keys()]) if (key.startsWith(`${prefix}/`)) this.files.delete(key);
  }
}

class MemoryTracks implements TrackRepository {
  readonly tracks = new Map<string, TrackRecord>();
  readonly jobs = new Map<string, { state: "queued" | "running"; attempts: number; token: string | null; leaseUntil: number }>();
  private n = 0;
  async createWithJob(t: { id: string; ownerId: string; title: string; artist: string | null }) {
    const rec: TrackRecord = { ...t, status: "processing", durationMs: null, loudnessLufs: null, error: null, createdAt: new Date() };
    this.tracks.set(t.id, rec);
    this.jobs.set(t.id, { state: "queued", attempts: 0, token: null, leaseUntil: 0 });
    return rec;
  }
  async find(id: string) {
    return this.tracks.get(id) ?? null;
  }
  async findMany(ids: string[]) {
    return ids.flatMap((id) => this.tracks.get(id) ?? []);
  }
  async list() {
    return [...this.tracks.values()];
  }
  async remove(id: string) {
    this.tracks.delete(id);
    this.jobs.delete(id);
  }
  async claimJob(leaseMs: number): Promise<ClaimedJob | null> {
    for (const [trackId, job] of this.jobs) {
      if (job.state === "queued" || job.leaseUntil < Date.now()) {
        Object.assign(job, { state: "running", attempts: job.attempts + 1, token: `t${++this.n}`, leaseUntil: Date.now() + leaseMs });
        return { trackId, claimToken: job.token!, attempts: job.attempts };
      }
    }
    return null;
  }
  async renewJob(c: ClaimedJob, leaseMs: number) {
    const job = this.jobs.get(c.trackId);
    if (job?.token !== c.claimToken) return false;
    job.leaseUntil = Date.now() + leaseMs;
    return true;
  }
  async releaseJob(c: ClaimedJob) {
    const job = this.jobs.get(c.trackId);
    if (job?.token === c.claimToken) Object.assign(job, { state: "queued", token: null, attempts: job.attempts - 1 });
  }
  async finishJob(c: ClaimedJob, outcome: { status: "ready"; durationMs: number; loudnessLufs: number | null } | { status: "failed"; error: string }) {
    const job = this.jobs.get(c.trackId);
    if (job?.token !== c.claimToken) return false;
    this.jobs.delete(c.trackId);
    const t = this.tracks.get(c.trackId)!;
    this.tracks.set(c.trackId, outcome.status === "ready" ? { ...t, status: "ready", durationMs: outcome.durationMs, loudnessLufs: outcome.loudnessLufs } : { ...t, status: "failed", error: outcome.error });
    return true;
  }
  async requeueAllRunning() {
    let n = 0;
    for (const job of this.jobs.values()) {
      if (job.state !== "running") continue;
      Object.assign(job, { state: "queued", token: null });
      n++;
    }
    return n;
  }
}

/** A transcoder the test drives: each call waits until the test settles it. */
class ScriptedTranscoder implements AudioTranscoder {
  calls: { resolve: (o: HlsOutput) => void; reject: (e: Error) => void; signal: AbortSignal }[] = [];
  async probe() {
    return { durationMs: 1000, codec: "mp3" };
  }
  toHls(_source: Buffer, opts: { signal: AbortSignal }): Promise<HlsOutput> {
    return new Promise((resolve, reject) => {
      this.calls.push({ resolve, reject, signal: opts.signal });
      opts.signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
  }
}

const silentLog = { info() {}, warn() {}, error() {} };
const hls: HlsOutput = {
  playlist: "index.m3u8",
  files: [
    { name: "seg-00000.ts", bytes: Buffer.from("s0") },
    { name: "index.m3u8", bytes: Buffer.from("#EXTM3U") },
  ],
  durationMs: 1000,
  loudnessLufs: -14,
};

describe("transcode worker (port fakes)", () => {
  let tracks: MemoryTracks;
  let blobs: MemoryBlobs;
  let transcoder: ScriptedTranscoder;
  const worker = (opts: Partial<ConstructorParameters<typeof TranscodeWorker>[0]> = {}) =>
    new TranscodeWorker({ tracks, blobs, transcoder, log: silentLog, concurrency: 1, leaseMs: 60_000, soleWorker: false, pollMs: 20, ...opts });
  async function queued(id: string) {
    await blobs.put(trackSourceKey(id), Buffer.from("audio"));
    await tracks.createWithJob({ id, ownerId: "u", title: "t", artist: null });
  }

  beforeEach(() => {
    tracks = new MemoryTracks();
    blobs = new MemoryBlobs();
    transcoder = new ScriptedTranscoder();
  });

  it("makes a track ready, stores its files and drops the source", async () => {
    await queued("t1");
    const w = worker();
    w.start();
    await eventually(() => transcoder.calls.length === 1, { what: "a transcode" });
    transcoder.calls[0]!.resolve(hls);
    await eventually(() => tracks.tracks.get("t1")!.status === "ready", { what: "ready" });
    await w.stop();
    expect([...blobs.files.keys()].sort()).to.deep.equal([trackHlsKey("t1", "index.m3u8"), trackHlsKey("t1", "seg-00000.ts")]);
    expect(tracks.tracks.get("t1")).to.include({ durationMs: 1000, loudnessLufs: -14 });
    expect(tracks.jobs.size).to.equal(0);
  });

  it("fails a track whose audio ffmpeg cannot decode, with the reason, and leaves no bytes", async () => {
    await queued("t1");
    const w = worker();
    w.start();
    await eventually(() => transcoder.calls.length === 1, { what: "a transcode" });
    transcoder.calls[0]!.reject(new TranscodeFailed("ffmpeg failed: Invalid data found when processing input"));
    await eventually(() => tracks.tracks.get("t1")!.status === "failed", { what: "failed" });
    await w.stop();
    expect(tracks.tracks.get("t1")!.error).to.match(/Invalid data/);
    expect(blobs.files.size).to.equal(0);
  });

  it("on stop, hands a running job back to the queue without spending an attempt; the next worker finishes it", async () => {
    await queued("t1");
    const first = worker();
    first.start();
    await eventually(() => transcoder.calls.length === 1, { what: "a transcode" });
    await first.stop();
    expect(transcoder.calls[0]!.signal.aborted).to.equal(true);
    expect(tracks.jobs.get("t1")).to.include({ state: "queued", attempts: 0 });
    const second = worker();
    second.start();
    await eventually(() => transcoder.calls.length === 2, { what: "the second run" });
    transcoder.calls[1]!.resolve(hls);
    await eventually(() => tracks.tracks.get("t1")!.status === "ready", { what: "ready" });
    await second.stop();
  });

  it("after a crash, another worker takes the job over once its lease ends; the old claim cannot finish it", async () => {
    await queued("t1");
    const crashed = worker({ leaseMs: 200 });
    crashed.start();
    await eventually(() => transcoder.calls.length === 1, { what: "a transcode" });
    const oldClaim = { trackId: "t1", claimToken: tracks.jobs.get("t1")!.token!, attempts: 1 };
    await crashed.abandon();
    expect(tracks.jobs.get("t1")!.state).to.equal("running");
    const next = worker({ leaseMs: 200 });
    next.start();
    await eventually(() => transcoder.calls.length === 2, { within: 5_000, what: "the takeover" });
    expect(tracks.jobs.get("t1")!.attempts).to.equal(2);
    expect(await tracks.finishJob(oldClaim, { status: "failed", error: "late" })).to.equal(false);
    transcoder.calls[1]!.resolve(hls);
    await eventually(() => tracks.tracks.get("t1")!.status === "ready", { what: "ready" });
    await next.stop();
  });

  it(`gives up on a job after ${MAX_ATTEMPTS} interrupted runs`, async () => {
    await queued("t1");
    tracks.jobs.get("t1")!.attempts = MAX_ATTEMPTS;
    const w = worker();
    w.start();
    await eventually(() => tracks.tracks.get("t1")!.status === "failed", { what: "failed" });
    await w.stop();
    expect(transcoder.calls).to.have.length(0);
    expect(tracks.tracks.get("t1")!.error).to.match(/interrupted/);
  });

  it("resumes jobs left running at once when it is the database's only worker (embedded)", async () => {
    await queued("t1");
    tracks.jobs.get("t1")!.state = "running";
    tracks.jobs.get("t1")!.leaseUntil = Date.now() + 600_000;
    const w = worker({ soleWorker: true });
    w.start();
    await eventually(() => transcoder.calls.length === 1, { what: "the resumed run" });
    await w.abandon();
  });

  it("serves HLS only for ready tracks: 409 while processing or failed, 404 for other names", async () => {
    const id = uuidv7();
    await queued(id);
    const files = new HlsFiles({ tracks, blobs });
    const codeOfAsync = async (p: Promise<unknown>) => p.then(() => undefined, (e) => (e instanceof DomainError ? e.code : String(e)));
    expect(await codeOfAsync(files.open(id, "index.m3u8"))).to.equal("CONFLICT");
    await tracks.finishJob((await tracks.claimJob(1000))!, { status: "failed", error: "bad" });
    expect(await codeOfAsync(files.open(id, "index.m3u8"))).to.equal("CONFLICT");
    expect(await codeOfAsync(files.open(id, "../source"))).to.equal("NOT_FOUND");
    expect(await codeOfAsync(files.open(id, "source"))).to.equal("NOT_FOUND");
    expect(await codeOfAsync(files.open(uuidv7(), "index.m3u8"))).to.equal("NOT_FOUND");
  });
});
