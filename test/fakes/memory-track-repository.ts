import type { TrackRecord, TrackRepository } from "../../src/domain/ports/track-repository.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";

/**
 * The listing part of TrackRepository (src/domain/ports/track-repository.ts) in memory, as
 * PrismaTrackRepository behaves: what account export and deletion use. The transcode queue has its
 * own fake in test/media/media-units.test.ts.
 */
export class MemoryTrackRepository implements Pick<TrackRepository, "find" | "list" | "remove"> {
  readonly tracks = new Map<string, TrackRecord>();
  private readonly ids = new IdSequence("track");

  constructor(private readonly clock: TestClock) {}

  async find(id: string) {
    const t = this.tracks.get(id);
    return t ? { ...t } : null;
  }

  async list(opts: { limit: number; before?: string; ownerId?: string }) {
    // Newest first by id (uuid v7: creation order), before the cursor.
    return [...this.tracks.values()]
      .filter((t) => (opts.ownerId === undefined || t.ownerId === opts.ownerId) && (opts.before === undefined || t.id < opts.before))
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, opts.limit)
      .map((t) => ({ ...t }));
  }

  async remove(id: string) {
    this.tracks.delete(id);
  }

  // ---- Not part of the port.

  /** A ready track of `ownerId`. */
  add(ownerId: string, title = "Song"): TrackRecord {
    const t: TrackRecord = { id: this.ids.next(), ownerId, title, artist: null, status: "ready", durationMs: 1000, loudnessLufs: null, error: null, createdAt: this.clock.now() };
    this.tracks.set(t.id, t);
    return { ...t };
  }
}
