// Tracks: upload, background transcode to HLS, the playlist and every segment, and bad uploads.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import sharp from "sharp";
import { signUp, type TestUser } from "../helpers/api.js";
import { fileForm, filesUnder, mediaEnv, parsePlaylist, postTrack, sineAudio, waitForTrack } from "../helpers/media.js";
import { useNode } from "../helpers/suite.js";
import { BACKENDS, errorPaths, expectProblem } from "../http/expect.js";

const run = promisify(execFile);

/** ffprobe's view of a file: codec and duration of its first audio stream. */
async function probe(bytes: Buffer): Promise<{ codec: string; seconds: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), "probe-"));
  try {
    const file = path.join(dir, "in.ts");
    await writeFile(file, bytes);
    const { stdout } = await run("ffprobe", ["-v", "error", "-select_streams", "a:0", "-show_entries", "stream=codec_name:format=duration", "-of", "json", file]);
    const parsed = JSON.parse(stdout);
    return { codec: parsed.streams[0].codec_name, seconds: Number(parsed.format.duration) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sniffs as MP3 (ID3 tag, then a frame sync), but no frame decodes. */
async function corruptMp3(): Promise<Buffer> {
  const mp3 = await sineAudio(1);
  expect(mp3.subarray(0, 3).toString()).to.equal("ID3");
  const tagEnd = 10 + ((mp3[6]! << 21) | (mp3[7]! << 14) | (mp3[8]! << 7) | mp3[9]!);
  return Buffer.concat([mp3.subarray(0, tagEnd + 4), Buffer.alloc(20_000, 0x5a)]);
}

for (const backend of BACKENDS) {
  describe(`tracks and HLS (${backend})`, function () {
    this.timeout(60_000);
    // 1 MiB: the 10 s test song fits, the oversize case is cheap to build.
    const { node, api } = useNode(async () => ({ backend, env: { ...(await mediaEnv(backend)), TRACK_MAX_BYTES: String(1024 * 1024) } }));
    let owner: TestUser;
    let listener: TestUser;

    const get = (u: TestUser | null, url: string) => fetch(new URL(url, node.url), { headers: u ? { authorization: `Bearer ${u.accessToken}` } : {} });
    const trackFiles = () => filesUnder(path.join(node.dataDir, "blobs", "tracks"));

    before(async () => {
      [owner, listener] = await Promise.all([signUp(api, "Uploader"), signUp(api, "Listener")]);
    });

    it("transcodes an upload to HLS: a playlist of relative URIs and AAC segments of at most 4 s, readable by any signed-in user", async () => {
      const mp3 = await sineAudio(10);
      const res = await postTrack(api, owner, mp3, "  Sine 440  ", { artist: "Oscillator" });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      expect(res.body.track).to.include({ title: "Sine 440", artist: "Oscillator", status: "processing", ownerId: owner.id });
      expect(res.body.track).to.not.have.property("hlsUrl");

      const track = await waitForTrack(api, listener.accessToken, res.body.track.id);
      expect(track.status, JSON.stringify(track)).to.equal("ready");
      expect(track.hlsUrl).to.equal(`/api/tracks/${track.id}/hls/index.m3u8`);
      expect(track.durationMs).to.be.within(9_900, 10_200);
      // A full-scale 440 Hz sine measures about -22 LUFS; what matters is that it was measured.
      expect(track.loudnessLufs).to.be.a("number").within(-40, 0);

      const playlistRes = await get(listener, track.hlsUrl);
      expect(playlistRes.status).to.equal(200);
      expect(playlistRes.headers.get("content-type")).to.equal("application/vnd.apple.mpegurl");
      expect(playlistRes.headers.get("cache-control")).to.match(/^private, max-age=\d+/);
      const playlist = parsePlaylist(await playlistRes.text());
      expect(playlist.ended).to.equal(true);
      expect(playlist.targetDuration).to.be.at.most(4);
      expect(playlist.segments.length).to.be.at.least(3);
      let total = 0;
      const segments: Buffer[] = [];
      for (const { uri, seconds } of playlist.segments) {
        expect(seconds).to.be.above(0).and.at.most(4);
        expect(uri, "relative to the playlist").to.match(/^[\w.-]+$/);
        total += seconds;
        // Resolved the way a player does: relative to the playlist's own URL.
        const seg = await get(listener, new URL(uri, new URL(track.hlsUrl, node.url)).toString());
        expect(seg.status).to.equal(200);
        expect(seg.headers.get("content-type")).to.equal("video/mp2t");
        expect(seg.headers.get("cache-control")).to.equal("private, max-age=31536000, immutable");
        const bytes = Buffer.from(await seg.arrayBuffer());
        expect(bytes[0], "MPEG-TS sync byte").to.equal(0x47);
        segments.push(bytes);
      }
      expect(total).to.be.within(9.9, 10.2);
      const joined = await probe(Buffer.concat(segments));
      expect(joined.codec).to.equal("aac");
      expect(joined.seconds).to.be.within(9.5, 10.5);

      // The source is gone once transcoded; only the HLS rendition stays.
      expect((await trackFiles()).filter((f) => f.startsWith(track.id))).to.deep.equal(
        ["index.m3u8", ...playlist.segments.map((s) => s.uri)].map((f) => `${track.id}/hls/${f}`).sort(),
      );
    });

    it("needs a signed-in user for tracks and HLS; unknown tracks and files are 404", async () => {
      const { track } = (await postTrack(api, owner, await sineAudio(2))).body;
      await waitForTrack(api, owner.accessToken, track.id);
      expect((await get(null, `/api/tracks/${track.id}`)).status).to.equal(401);
      expect((await get(null, `/api/tracks/${track.id}/hls/index.m3u8`)).status).to.equal(401);
      expect((await get(null, `/api/tracks/${track.id}/hls/seg-00000.ts`)).status).to.equal(401);
      expect((await get(listener, `/api/tracks/${track.id}/hls/seg-00000.ts`)).status).to.equal(200);
      expect((await get(listener, `/api/tracks/${randomUUID()}`)).status).to.equal(404);
      expect((await get(listener, `/api/tracks/${randomUUID()}/hls/index.m3u8`)).status).to.equal(404);
      for (const file of ["seg-99999.ts", "source", "..%2Fsource", "index.m3u8.bak"]) {
        expect((await get(listener, `/api/tracks/${track.id}/hls/${file}`)).status, file).to.equal(404);
      }
      expectProblem(await api.request("POST", "/api/tracks", { raw: fileForm({ title: "x" }, { bytes: await sineAudio(1), name: "a.mp3" }) }), "UNAUTHORIZED");
    });

    it("lists tracks newest first, and the caller's own with mine=true", async () => {
      const other = await signUp(api, "Other");
      const first = (await postTrack(api, other, await sineAudio(1), "First")).body.track;
      const second = (await postTrack(api, other, await sineAudio(1), "Second")).body.track;
      const all = await api.get("/api/tracks?limit=100", listener.accessToken);
      const ids = all.body.tracks.map((t: { id: string }) => t.id);
      expect(ids.indexOf(second.id)).to.be.at.least(0).and.below(ids.indexOf(first.id));
      const mine = await api.get("/api/tracks?mine=true", other.accessToken);
      expect(mine.body.tracks.map((t: { id: string }) => t.id)).to.deep.equal([second.id, first.id]);
      const page = await api.get("/api/tracks?mine=true&limit=1", other.accessToken);
      expect(page.body.tracks.map((t: { id: string }) => t.id)).to.deep.equal([second.id]);
      const next = await api.get(`/api/tracks?mine=true&limit=1&cursor=${page.body.nextCursor}`, other.accessToken);
      expect(next.body.tracks.map((t: { id: string }) => t.id)).to.deep.equal([first.id]);
      for (const t of [first, second]) await waitForTrack(api, other.accessToken, t.id);
    });

    describe("bad uploads get a clear error and leave nothing behind", () => {
      const png = () => sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } }).png().toBuffer();
      const cases: [string, () => Promise<FormData>, string, string?][] = [
        ["a picture", async () => fileForm({ title: "x" }, { bytes: await png(), name: "x.mp3" }), "UNSUPPORTED_MEDIA_TYPE"],
        ["a text file", async () => fileForm({ title: "x" }, { bytes: Buffer.from("la la la\n".repeat(100)), name: "x.mp3" }), "UNSUPPORTED_MEDIA_TYPE"],
        ["a 0-byte file", async () => fileForm({ title: "x" }, { bytes: Buffer.alloc(0), name: "x.mp3" }), "VALIDATION", "file"],
        ["a corrupt MP3 (its tag and first frame header, then noise)", async () => fileForm({ title: "x" }, { bytes: await corruptMp3(), name: "x.mp3" }), "VALIDATION", "file"],
        ["a WAV header with no audio after it", async () => fileForm({ title: "x" }, { bytes: (await sineAudio(1, "wav")).subarray(0, 44), name: "x.wav" }), "VALIDATION", "file"],
        ["a file over TRACK_MAX_BYTES", async () => fileForm({ title: "x" }, { bytes: Buffer.concat([await sineAudio(1), Buffer.alloc(1024 * 1024)]), name: "x.mp3" }), "PAYLOAD_TOO_LARGE"],
        ["no title", async () => fileForm({}, { bytes: await sineAudio(1), name: "x.mp3" }), "VALIDATION", "title"],
        ["a blank title", async () => fileForm({ title: "   " }, { bytes: await sineAudio(1), name: "x.mp3" }), "VALIDATION", "title"],
        ["no file", async () => fileForm({ title: "x" }), "VALIDATION", "file"],
      ];
      for (const [what, form, code, field] of cases) {
        it(`refuses ${what}`, async () => {
          const uploader = await signUp(api, "Bad uploader");
          const before = await trackFiles();
          const res = await api.request("POST", "/api/tracks", { token: uploader.accessToken, raw: await form() });
          expectProblem(res, code);
          if (field) expect(errorPaths(res)).to.deep.equal([field]);
          expect(await trackFiles()).to.deep.equal(before);
          expect((await api.get("/api/tracks?mine=true", uploader.accessToken)).body.tracks).to.deep.equal([]);
        });
      }
    });
  });
}
