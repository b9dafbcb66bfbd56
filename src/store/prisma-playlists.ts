import type { PlaylistRecord, PlaylistRepository } from "../domain/ports/playlist-repository.js";
import type { Prisma } from "./database.js";

const WITH_TRACKS = { tracks: { orderBy: { position: "asc" }, select: { trackId: true } } } as const;
type Row = { id: string; ownerId: string; name: string; createdAt: Date; updatedAt: Date; tracks: { trackId: string }[] };
const toRecord = ({ tracks, ...p }: Row): PlaylistRecord => ({ ...p, trackIds: tracks.map((t) => t.trackId) });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class PrismaPlaylistRepository implements PlaylistRepository {
  constructor(private readonly prisma: Prisma) {}

  async create(ownerId: string, name: string, trackIds: string[]): Promise<PlaylistRecord> {
    const row = await this.prisma.playlist.create({
      data: { ownerId, name, tracks: { create: trackIds.map((trackId, position) => ({ trackId, position })) } },
      include: WITH_TRACKS,
    });
    return toRecord(row);
  }

  async findOwned(id: string, ownerId: string): Promise<PlaylistRecord | null> {
    if (!UUID.test(id)) return null;
    const row = await this.prisma.playlist.findFirst({ where: { id, ownerId }, include: WITH_TRACKS });
    return row ? toRecord(row) : null;
  }

  async listOwned(ownerId: string): Promise<PlaylistRecord[]> {
    const rows = await this.prisma.playlist.findMany({ where: { ownerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], include: WITH_TRACKS });
    return rows.map(toRecord);
  }

  async rename(id: string, ownerId: string, name: string): Promise<PlaylistRecord | null> {
    if (!UUID.test(id)) return null;
    const { count } = await this.prisma.playlist.updateMany({ where: { id, ownerId }, data: { name } });
    return count ? this.findOwned(id, ownerId) : null;
  }

  async setTracks(id: string, ownerId: string, trackIds: string[]): Promise<PlaylistRecord | null> {
    if (!UUID.test(id)) return null;
    // Replace the entries in one transaction: readers see the old order or the new one, never a mix.
    const done = await this.prisma.$transaction(async (tx) => {
      const { count } = await tx.playlist.updateMany({ where: { id, ownerId }, data: { updatedAt: new Date() } });
      if (!count) return false;
      await tx.playlistTrack.deleteMany({ where: { playlistId: id } });
      if (trackIds.length) await tx.playlistTrack.createMany({ data: trackIds.map((trackId, position) => ({ playlistId: id, trackId, position })) });
      return true;
    });
    return done ? this.findOwned(id, ownerId) : null;
  }

  async remove(id: string, ownerId: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { count } = await this.prisma.playlist.deleteMany({ where: { id, ownerId } });
    return count === 1;
  }
}
