import type { PlaylistRecord, PlaylistRepository } from "../../src/domain/ports/playlist-repository.js";
import type { TestClock } from "./clock.js";
import { IdSequence } from "./ids.js";

/** The owner's side of PlaylistRepository (src/domain/ports/playlist-repository.ts) in memory: what account export and deletion use. */
export class MemoryPlaylistRepository implements Pick<PlaylistRepository, "create" | "listOwned" | "remove"> {
  readonly playlists = new Map<string, PlaylistRecord>();
  private readonly ids = new IdSequence("playlist");

  constructor(private readonly clock: TestClock) {}

  async create(ownerId: string, name: string, trackIds: string[]) {
    const at = this.clock.now();
    const p: PlaylistRecord = { id: this.ids.next(), ownerId, name, trackIds: [...trackIds], createdAt: at, updatedAt: at };
    this.playlists.set(p.id, p);
    return { ...p, trackIds: [...p.trackIds] };
  }

  async listOwned(ownerId: string) {
    return [...this.playlists.values()].filter((p) => p.ownerId === ownerId).map((p) => ({ ...p, trackIds: [...p.trackIds] }));
  }

  async remove(id: string, ownerId: string) {
    const p = this.playlists.get(id);
    if (!p || p.ownerId !== ownerId) return false;
    return this.playlists.delete(id);
  }
}
