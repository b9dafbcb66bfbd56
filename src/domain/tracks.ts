import { sniffContentType } from "./content-type.js";
import { Conflict, Invalid, NotFound, PayloadTooLarge, UnsupportedMediaType } from "./errors.js";
import { TranscodeFailed, type AudioTranscoder } from "./ports/audio-transcoder.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { TrackRecord, TrackRepository } from "./ports/track-repository.js";
import { uuidv7 } from "./uuid7.js";
import type { Track } from "../protocol/tracks.js";

export interface TrackDeps {
  tracks: TrackRepository;
  blobs: BlobStorage;
  transcoder: AudioTranscoder;
  trackMaxBytes: number;
  /** Wakes this node's transcode worker (other nodes find the job when they next poll). */
  onTrackQueued?: () => void;
}

export const TRACK_TITLE_MAX = 200;
export const TRACK_ARTIST_MAX = 200;
export const HLS_PLAYLIST = "index.m3u8";
// Segment names are made by the transcoder; anything else asked for is not ours to serve.
const HLS_FILE = /^(index\.m3u8|seg-\d{5}\.ts)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const trackSourceKey = (trackId: string) => `tracks/${trackId}/source`;
export const trackHlsKey = (trackId: string, file: string) => `tracks/${trackId}/hls/${file}`;

/** The contract's track (src/protocol/tracks.ts). */
export type TrackView = Track;

export function viewTrack(t: TrackRecord): TrackView {
  return {
    id: t.id,
    title: t.title,
    artist: t.artist,
    status: t.status,
    ownerId: t.ownerId,
    createdAt: t.createdAt.toISOString(),
    ...(t.durationMs !== null ? { durationMs: t.durationMs } : {}),
    ...(t.loudnessLufs !== null ? { loudnessLufs: t.loudnessLufs } : {}),
    ...(t.status === "ready" ? { hlsUrl: `/api/tracks/${t.id}/hls/${HLS_PLAYLIST}` } : {}),
    ...(t.status === "failed" && t.error ? { error: t.error } : {}),
  };
}

function cleanText(value: string | undefined, field: string, max: number, required: boolean): string | null {
  const text = (value ?? "").normalize("NFC").trim();
  if (text === "") {
    if (required) throw new Invalid(`${field} is required`, [{ path: field, message: "is required" }]);
    return null;
  }
  if (text.length > max) throw new Invalid(`${field} is over ${max} characters`, [{ path: field, message: "too long" }]);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new Invalid(`${field} must not contain control characters`, [{ path: field, message: "has control characters" }]);
  return text;
}

/**
 * Accepts an upload for transcoding. Everything that can be judged now is judged now (empty,
 * too large, not audio by its bytes, no decodable audio stream), so a bad upload gets a clear
 * 4xx and leaves nothing behind; the slow part runs in a durable background job.
 */
export async function uploadTrack(
  deps: TrackDeps,
  userId: string,
  input: { bytes: Buffer | undefined; title: string | undefined; artist: string | undefined },
): Promise<TrackView> {
  const title = cleanText(input.title, "title", TRACK_TITLE_MAX, true)!;
  const artist = cleanText(input.artist, "artist", TRACK_ARTIST_MAX, false);
  const bytes = input.bytes;
  if (!bytes) throw new Invalid("multipart field `file` is required", [{ path: "file", message: "is required" }]);
  if (bytes.length === 0) throw new Invalid("the file is empty", [{ path: "file", message: "is empty (0 bytes)" }]);
  if (bytes.length > deps.trackMaxBytes) throw new PayloadTooLarge(`tracks are limited to ${deps.trackMaxBytes} bytes`);
  const sniffed = await sniffContentType(bytes);
  if (!sniffed?.mime.startsWith("audio/")) throw new UnsupportedMediaType(`expected an audio file; got ${sniffed?.mime ?? "unknown content"}`);
  try {
    await deps.transcoder.probe(bytes);
  } catch (err) {
    if (err instanceof TranscodeFailed) throw new Invalid(`the file is not playable audio: ${err.message}`, [{ path: "file", message: "is corrupt or holds no audio" }]);
    throw err;
  }

  // Bytes before the job row: a worker that claims the job always finds its source.
  const id = uuidv7();
  await deps.blobs.put(trackSourceKey(id), bytes);
  let track: TrackRecord;
  try {
    track = await deps.tracks.createWithJob({ id, ownerId: userId, title, artist });
  } catch (err) {
    await deps.blobs.delete(trackSourceKey(id)).catch(() => {});
    throw err;
  }
  deps.onTrackQueued?.();
  return viewTrack(track);
}

async function findTrack(deps: Pick<TrackDeps, "tracks">, id: string): Promise<TrackRecord> {
  const track = UUID.test(id) ? await deps.tracks.find(id) : null;
  if (!track) throw new NotFound("no such track");
  return track;
}

/** Tracks are readable by every signed-in user (PROTOCOL.md). */
export async function getTrack(deps: Pick<TrackDeps, "tracks">, id: string): Promise<TrackView> {
  return viewTrack(await findTrack(deps, id));
}

export async function listTracks(deps: Pick<TrackDeps, "tracks">, opts: { limit: number; before?: string; ownerId?: string }) {
  const rows = await deps.tracks.list({ ...opts, limit: opts.limit + 1 });
  const items = rows.slice(0, opts.limit);
  return { tracks: items.map(viewTrack), nextCursor: rows.length > opts.limit ? (items.at(-1)?.id ?? null) : null };
}

export async function requireReadyTrack(deps: Pick<TrackDeps, "tracks">, id: string): Promise<TrackRecord> {
  const track = await findTrack(deps, id);
  if (track.status === "processing") throw new Conflict("the track is still being transcoded");
  if (track.status === "failed") throw new Conflict(`the track could not be transcoded: ${track.error ?? "unknown error"}`);
  return track;
}

// "ready" is final and a ready track's files never change, so a node keeps both what it has
// seen ready and the bytes it has read: a room that starts one track together asks for the same
// few segments at once, and those requests then cost no database read and no file system call.
const READY_CACHE_MAX = 10_000;
// About 1,000 segments of a 128 kbit/s track (64 KB each): the hot tracks of a busy node.
const BYTES_CACHE_MAX = 64 * 1024 * 1024;

export interface HlsFile {
  bytes: Buffer;
  contentType: string;
  playlist: boolean;
}

/** Serves a ready track's playlist and segments; one instance per node. */
export class HlsFiles {
  private readonly ready = new Set<string>();
  /** Readiness checks in progress: a burst of listeners starting one track makes one query. */
  private readonly checking = new Map<string, Promise<unknown>>();
  /** Least recently used first (a hit moves its entry to the end). */
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  /** Reads in progress: concurrent requests for one file share one read. */
  private readonly reading = new Map<string, Promise<Buffer | null>>();

  constructor(
    private readonly deps: Pick<TrackDeps, "tracks" | "blobs">,
    private readonly cacheMaxBytes = BYTES_CACHE_MAX,
  ) {}

  async open(trackId: string, file: string): Promise<HlsFile> {
    if (!HLS_FILE.test(file)) throw new NotFound("no such HLS file");
    if (!this.ready.has(trackId)) {
      let check = this.checking.get(trackId);
      if (!check) {
        check = requireReadyTrack(this.deps, trackId).finally(() => this.checking.delete(trackId));
        this.checking.set(trackId, check);
      }
      await check;
      if (this.ready.size >= READY_CACHE_MAX) this.ready.clear();
      this.ready.add(trackId);
    }
    const bytes = await this.read(trackHlsKey(trackId, file));
    if (!bytes) throw new NotFound("no such HLS file");
    return { bytes, contentType: file === HLS_PLAYLIST ? "application/vnd.apple.mpegurl" : "video/mp2t", playlist: file === HLS_PLAYLIST };
  }

  private read(key: string): Promise<Buffer | null> {
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return Promise.resolve(hit);
    }
    let pending = this.reading.get(key);
    if (!pending) {
      pending = readBlob(this.deps.blobs, key).finally(() => this.reading.delete(key));
      this.reading.set(key, pending);
      void pending.then((bytes) => bytes && this.remember(key, bytes), () => {});
    }
    return pending;
  }

  private remember(key: string, bytes: Buffer) {
    if (bytes.length > this.cacheMaxBytes / 16 || this.cache.has(key)) return;
    this.cache.set(key, bytes);
    this.cachedBytes += bytes.length;
    for (const [old, b] of this.cache) {
      if (this.cachedBytes <= this.cacheMaxBytes) break;
      this.cache.delete(old);
      this.cachedBytes -= b.length;
    }
  }
}

/** A whole blob in memory (HLS files are small: a segment is about 64 KB). */
export async function readBlob(blobs: BlobStorage, key: string): Promise<Buffer | null> {
  const blob = await blobs.open(key);
  if (!blob) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of blob.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
