import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Api, ApiResponse, TestUser } from "./api.js";
import { eventually } from "./eventually.js";
import { testDatabase } from "./services.js";

const run = promisify(execFile);

const made = new Map<string, Promise<Buffer>>();

/**
 * Test audio from ffmpeg's sine source (a real encoder's output, not a fixture file). The same
 * arguments give the same bytes, so each is encoded once a run (an ffmpeg process each: up to
 * a second on a loaded machine); every caller gets its own copy.
 */
export async function sineAudio(seconds: number, format: "mp3" | "wav" | "ogg" = "mp3", frequency = 440): Promise<Buffer> {
  const key = `${seconds}:${format}:${frequency}`;
  let encoded = made.get(key);
  if (!encoded) {
    encoded = encodeSine(seconds, format, frequency);
    made.set(key, encoded);
    encoded.catch(() => made.delete(key));
  }
  return Buffer.from(await encoded);
}

async function encodeSine(seconds: number, format: "mp3" | "wav" | "ogg", frequency: number): Promise<Buffer> {
  const codec = format === "mp3" ? ["-c:a", "libmp3lame", "-b:a", "128k"] : format === "ogg" ? ["-c:a", "libvorbis"] : ["-c:a", "pcm_s16le"];
  const { stdout } = await run(
    "ffmpeg",
    ["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", `sine=frequency=${frequency}:duration=${seconds}`, "-ac", "2", ...codec, "-f", format, "pipe:1"],
    { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
  );
  return stdout;
}

export function fileForm(fields: Record<string, string>, file?: { bytes: Buffer; name: string; type?: string; field?: string }): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append(file.field ?? "file", new Blob([new Uint8Array(file.bytes)], { type: file.type ?? "application/octet-stream" }), file.name);
  return form;
}

export function postTrack(api: Api, user: TestUser, bytes: Buffer, title = "Song", extra: Record<string, string> = {}): Promise<ApiResponse> {
  return api.request("POST", "/api/tracks", { token: user.accessToken, raw: fileForm({ title, ...extra }, { bytes, name: "song.mp3", type: "audio/mpeg" }) });
}

/** Polls GET /api/tracks/:id (observable state) until it leaves "processing"; fails at once on an error answer. */
export async function waitForTrack(api: Api, token: string, id: string, timeoutMs = 60_000): Promise<any> {
  const got = await eventually(
    async () => {
      const res = await api.get(`/api/tracks/${id}`, token);
      if (res.status !== 200) return { failed: res };
      return res.body.track.status !== "processing" && { track: res.body.track };
    },
    // Each try is a request to a node that is busy transcoding: ten a second are plenty.
    { within: timeoutMs, every: 100, what: `track ${id} to leave "processing"` },
  );
  if (got.failed) throw new Error(`GET track: ${got.failed.status} ${JSON.stringify(got.failed.body)}`);
  return got.track;
}

/** The files under a directory, recursively (relative paths), e.g. to see that nothing was left behind. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  await walk(dir);
  return out.sort();
}

/** The URIs a media playlist names, in order, with each EXTINF duration. */
export function parsePlaylist(m3u8: string): { segments: { uri: string; seconds: number }[]; targetDuration: number; ended: boolean } {
  const lines = m3u8.split("\n").map((l) => l.trim()).filter(Boolean);
  const segments: { uri: string; seconds: number }[] = [];
  let pending: number | null = null;
  for (const line of lines) {
    const inf = /^#EXTINF:([\d.]+)/.exec(line);
    if (inf) pending = Number(inf[1]);
    else if (!line.startsWith("#") && pending !== null) {
      segments.push({ uri: line, seconds: pending });
      pending = null;
    }
  }
  const target = /#EXT-X-TARGETDURATION:(\d+)/.exec(m3u8);
  return { segments, targetDuration: target ? Number(target[1]) : NaN, ended: m3u8.includes("#EXT-X-ENDLIST") };
}

/**
 * The media suites' own database: every node runs a transcode worker that claims any queued job
 * in its database, and a node of another suite (or another run on this machine) with another
 * DATA_DIR would find no source bytes for ours.
 */
export async function mediaEnv(backend: "postgres" | "embedded" = "postgres"): Promise<Record<string, string>> {
  return backend === "postgres" ? { DATABASE_URL: await testDatabase("chat_test_media") } : {};
}
