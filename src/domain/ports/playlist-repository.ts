export interface PlaylistRecord {
  id: string;
  ownerId: string;
  name: string;
  trackIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface PlaylistRepository {
  create(ownerId: string, name: string, trackIds: string[]): Promise<PlaylistRecord>;
  /** Null when it does not exist or is not the owner's (the two look the same to callers). */
  findOwned(id: string, ownerId: string): Promise<PlaylistRecord | null>;
  listOwned(ownerId: string): Promise<PlaylistRecord[]>;
  rename(id: string, ownerId: string, name: string): Promise<PlaylistRecord | null>;
  /** Replaces the ordered entries. */
  setTracks(id: string, ownerId: string, trackIds: string[]): Promise<PlaylistRecord | null>;
  remove(id: string, ownerId: string): Promise<boolean>;
}
