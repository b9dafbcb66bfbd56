// The transcode queue is durable: a node that stops or crashes in the middle of a transcode
// leaves the job to the next node (or its own next start), which finishes it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import { Api, signUp } from "../helpers/api.js";
import { eventually } from "../helpers/eventually.js";
import { mediaEnv, parsePlaylist, postTrack, sineAudio, waitForTrack } from "../helpers/media.js";
import { startTestNode, type TestNode } from "../helpers/nodes.js";
import { spawnNode, type NodeProcess } from "../helpers/processes.js";
import { NODE_START_TIMEOUT_MS } from "../http/expect.js";

// Long enough that the transcode is still running when the test interrupts it, which it does
// within milliseconds of the "transcoding" line: 120 s of audio is over 2 s of ffmpeg's CPU here
// (240 s made each test transcode twice as long for the same claim). Short enough to generate quickly.
const SONG_SECONDS = 120;

/** A pino destination that keeps every line, so the test can wait for what the node logs. */
function logRecorder() {
  const entries: { msg: string; trackId?: string; attempt?: number }[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) entries.push(JSON.parse(line));
      done();
    },
  });
  return { entries, stream: { write: (s: string) => stream.write(s) } };
}

/** Every segment the playlist names is served: the resumed transcode produced a whole rendition. */
async function expectPlayable(api: Api, token: string, track: { id: string; hlsUrl: string; durationMs: number }) {
  expect(track.durationMs).to.be.within(SONG_SECONDS * 1000 - 200, SONG_SECONDS * 1000 + 200);
  const playlist = parsePlaylist((await api.get(track.hlsUrl, token)).body);
  expect(playlist.segments.length).to.be.at.least(Math.floor(SONG_SECONDS / 4));
  for (const s of playlist.segments) {
    const res = await fetch(`${api.baseUrl}/api/tracks/${track.id}/hls/${s.uri}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, s.uri).to.equal(200);
    await res.arrayBuffer();
  }
}

describe("transcode queue across restarts", function () {
  this.timeout(120_000);
  let song: Buffer;
  before(async function () {
    this.timeout(60_000);
    song = await sineAudio(SONG_SECONDS, "mp3", 330);
  });

  it("embedded: a crash in the middle of a transcode is resumed by the next start on the same DATA_DIR", async function () {
    this.timeout(NODE_START_TIMEOUT_MS * 2 + 90_000);
    const dataDir = await mkdtemp(path.join(tmpdir(), "chat-restart-"));
    let node: TestNode | undefined;
    try {
      const firstLog = logRecorder();
      node = await startTestNode({ backend: "embedded", dataDir, env: { LOG_LEVEL: "info" }, logStream: firstLog.stream });
      let api = new Api(node.url);
      const user = await signUp(api, "Uploader");
      const { track } = (await postTrack(api, user, song, "Long")).body;
      await eventually(() => firstLog.entries.some((e) => e.msg === "transcoding" && e.trackId === track.id), { within: 30_000, what: "the transcode to start" });
      await node.kill();
      node = undefined;
      expect(firstLog.entries.some((e) => e.msg === "track ready")).to.equal(false);

      const secondLog = logRecorder();
      node = await startTestNode({ backend: "embedded", dataDir, env: { LOG_LEVEL: "info" }, logStream: secondLog.stream });
      api = new Api(node.url);
      const done = await waitForTrack(api, user.accessToken, track.id, 90_000);
      expect(done.status, JSON.stringify(done)).to.equal("ready");
      expect(secondLog.entries.some((e) => e.msg === "resuming transcodes interrupted by the last stop")).to.equal(true);
      await expectPlayable(api, user.accessToken, done);
    } finally {
      await node?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("PostgreSQL: a node stopping mid-transcode hands the job back at once; the next node finishes it with the attempt given back", async function () {
    this.timeout(NODE_START_TIMEOUT_MS * 2 + 90_000);
    const dataDir = await mkdtemp(path.join(tmpdir(), "chat-restart-"));
    let node: TestNode | undefined;
    try {
      const env = { ...(await mediaEnv("postgres")), LOG_LEVEL: "info" };
      const firstLog = logRecorder();
      node = await startTestNode({ dataDir, env, logStream: firstLog.stream });
      let api = new Api(node.url);
      const user = await signUp(api, "Uploader");
      const { track } = (await postTrack(api, user, song, "Long")).body;
      await eventually(() => firstLog.entries.some((e) => e.msg === "transcoding" && e.trackId === track.id), { within: 30_000, what: "the transcode to start" });
      await node.stop();
      node = undefined;

      const secondLog = logRecorder();
      node = await startTestNode({ dataDir, env, logStream: secondLog.stream });
      api = new Api(node.url);
      const done = await waitForTrack(api, user.accessToken, track.id, 90_000);
      expect(done.status, JSON.stringify(done)).to.equal("ready");
      const resumed = secondLog.entries.find((e) => e.msg === "transcoding" && e.trackId === track.id);
      expect(resumed?.attempt).to.equal(1);
      await expectPlayable(api, user.accessToken, done);
    } finally {
      await node?.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("PostgreSQL: a process killed (SIGKILL) mid-transcode loses its lease; another process takes the job over and finishes it", async function () {
    this.timeout(150_000);
    const dataDir = await mkdtemp(path.join(tmpdir(), "chat-restart-"));
    const procs: NodeProcess[] = [];
    try {
      // Both processes share DATA_DIR and the database, as nodes of one deployment do.
      const env = { ...(await mediaEnv("postgres")), DATA_DIR: dataDir, TRANSCODE_LEASE_MS: "2000" };
      const first = await spawnNode(env);
      procs.push(first);
      const api = new Api(first.url);
      const user = await signUp(api, "Uploader");
      const { track } = (await postTrack(api, user, song, "Long")).body;
      const logged = (p: NodeProcess, attempt: number) =>
        p.logs.some((line) => line.includes(`"msg":"transcoding"`) && line.includes(track.id) && line.includes(`"attempt":${attempt}`));
      await eventually(() => logged(first, 1), { within: 30_000, what: "the transcode to start" });
      first.child.kill("SIGKILL");
      expect(await first.exited).to.equal("SIGKILL");

      const second = await spawnNode(env);
      procs.push(second);
      const api2 = new Api(second.url);
      const done = await waitForTrack(api2, user.accessToken, track.id, 120_000);
      expect(done.status, JSON.stringify(done)).to.equal("ready");
      expect(logged(second, 2), "the second process ran the job's second attempt").to.equal(true);
      await expectPlayable(api2, user.accessToken, done);
    } finally {
      for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
      await Promise.all(procs.map((p) => p.exited));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
