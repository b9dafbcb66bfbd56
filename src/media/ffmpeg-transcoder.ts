import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import ffmpeg from "fluent-ffmpeg";
import { TranscodeFailed, type AudioProbe, type AudioTranscoder, type HlsOutput } from "../domain/ports/audio-transcoder.js";

// PROTOCOL: segments last at most 4 s. ffmpeg cuts at the first audio frame at or after each
// multiple of hls_time, so a segment can run one frame (~23 ms at 44.1 kHz) over it:
// 3.9 s keeps every EXTINF below 4.0 and TARGETDURATION at 4.
const SEGMENT_SECONDS = 3.9;
const AUDIO_BITRATE = "128k";
// A job stuck this long is killed and fails (a 2-hour upload takes about 5 minutes here).
const TIMEOUT_SECONDS = 15 * 60;
const PLAYLIST = "index.m3u8";
const TEMP_PREFIX = "chat-media-";

async function withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), TEMP_PREFIX));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function probeFile(file: string): Promise<AudioProbe> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(file, (err, data) => {
      if (err) return reject(new TranscodeFailed("ffprobe could not read the file"));
      const audio = data.streams.find((s) => s.codec_type === "audio");
      if (!audio) return reject(new TranscodeFailed("no audio stream found"));
      const seconds = Number(data.format.duration ?? audio.duration);
      if (!Number.isFinite(seconds) || seconds <= 0) return reject(new TranscodeFailed("the audio has no duration"));
      resolve({ durationMs: Math.round(seconds * 1000), codec: String(audio.codec_name ?? "unknown") });
    });
  });
}

/** The summary ebur128 prints at the end: "I:  -23.0 LUFS" (integrated loudness). */
function parseLoudness(stderr: string): number | null {
  const summary = stderr.slice(stderr.lastIndexOf("Summary:"));
  const m = /I:\s+(-?\d+(?:\.\d+)?) LUFS/.exec(summary);
  return m ? Number(m[1]) : null;
}

function playlistDurationMs(m3u8: string): number {
  let total = 0;
  for (const m of m3u8.matchAll(/^#EXTINF:([\d.]+)/gm)) total += Number(m[1]);
  return Math.round(total * 1000);
}

/** Debian's ffmpeg/ffprobe through fluent-ffmpeg (FFMPEG_PATH / FFPROBE_PATH override the PATH lookup). */
export class FfmpegTranscoder implements AudioTranscoder {
  /**
   * A process killed mid-transcode leaves its working directory behind (and its ffmpeg runs on
   * to the end). Directories older than two job timeouts belong to no running job: removed.
   */
  static async sweepStale(): Promise<number> {
    const cutoff = Date.now() - 2 * TIMEOUT_SECONDS * 1000;
    let removed = 0;
    for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const dir = path.join(tmpdir(), name);
      const info = await stat(dir).catch(() => null);
      if (info?.isDirectory() && info.mtimeMs < cutoff) {
        await rm(dir, { recursive: true, force: true }).catch(() => {});
        removed++;
      }
    }
    return removed;
  }

  async probe(bytes: Buffer): Promise<AudioProbe> {
    return withTempDir(async (dir) => {
      const input = path.join(dir, "input");
      await writeFile(input, bytes);
      return probeFile(input);
    });
  }

  async toHls(source: Buffer, opts: { signal: AbortSignal }): Promise<HlsOutput> {
    return withTempDir(async (dir) => {
      const input = path.join(dir, "input");
      const outDir = path.join(dir, "hls");
      await writeFile(input, source);
      const probe = await probeFile(input);
      await mkdir(outDir);
      const stderr = await new Promise<string>((resolve, reject) => {
        const command = ffmpeg(input, { timeout: TIMEOUT_SECONDS, stdoutLines: 400 })
          // ffmpeg reads keys from stdin while it runs; a job has no keyboard.
          .inputOptions(["-nostdin"])
          // One decode, two outputs: the HLS rendition and a loudness measurement.
          .output(path.join(outDir, PLAYLIST))
          .outputOptions([
            "-map 0:a:0",
            "-vn",
            "-c:a aac",
            `-b:a ${AUDIO_BITRATE}`,
            "-ac 2",
            "-f hls",
            `-hls_time ${SEGMENT_SECONDS}`,
            "-hls_playlist_type vod",
            "-hls_segment_type mpegts",
            `-hls_segment_filename ${path.join(outDir, "seg-%05d.ts")}`,
          ])
          .output("/dev/null")
          .outputOptions(["-map 0:a:0", "-af ebur128=framelog=verbose", "-f null"])
          .on("end", (_out: string | null, err: string | null) => resolve(err ?? ""))
          .on("error", (err: Error, _out: string | null, errText: string | null) => {
            if (opts.signal.aborted) return reject(new Error("transcode aborted"));
            const last = (errText ?? "").trim().split("\n").at(-1) ?? "";
            reject(new TranscodeFailed(`ffmpeg failed: ${last || err.message}`.slice(0, 300)));
          });
        const onAbort = () => command.kill("SIGKILL");
        if (opts.signal.aborted) return reject(new Error("transcode aborted"));
        opts.signal.addEventListener("abort", onAbort, { once: true });
        command.run();
      });
      const names = (await readdir(outDir)).sort();
      if (!names.includes(PLAYLIST) || !names.some((n) => n.endsWith(".ts"))) throw new TranscodeFailed("ffmpeg produced no segments");
      const files = await Promise.all(names.map(async (name) => ({ name, bytes: await readFile(path.join(outDir, name)) })));
      // What was decoded, not what the container claims (VBR MP3s without a header misreport).
      const decodedMs = playlistDurationMs(files.find((f) => f.name === PLAYLIST)!.bytes.toString("utf8"));
      return { playlist: PLAYLIST, files, durationMs: decodedMs || probe.durationMs, loudnessLufs: parseLoudness(stderr) };
    });
  }
}
