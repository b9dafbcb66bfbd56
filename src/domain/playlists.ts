import { Invalid, NotFound } from "./errors.js";
import type { PlaylistRecord, PlaylistRepository } from "./ports/playlist-repository.js";
import type { TrackRepository } from "./ports/track-repository.js";
import { viewTrack } from "./tracks.js";
import { PLAYLIST_NAME_MAX, PLAYLIST_TRACKS_MAX } from "../protocol/limits.js";
import type { Playlist, PlaylistSummary as WirePlaylistSummary } from "../protocol/playlists.js";

export interface PlaylistDeps {
  playlists: PlaylistRepository;
  tracks: TrackRepository;
}


/** The contract's playlist shapes (src/protocol/playlists.ts): a list shows summaries. */
export type PlaylistSummary = WirePlaylistSummary;
/** A playlist with its tracks in playlist order (a track may appear more than once). */
export type PlaylistView = Playlist;

function summary(p: PlaylistRecord): PlaylistSummary {
  return { id: p.id, name: p.name, trackCount: p.trackIds.length, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() };
}

async function view(deps: PlaylistDeps, p: PlaylistRecord): Promise<PlaylistView> {
  const byId = new Map((await deps.tracks.findMany([...new Set(p.trackIds)])).map((t) => [t.id, viewTrack(t)]));
  return { ...summary(p), tracks: p.trackIds.flatMap((id) => byId.get(id) ?? []) };
}

function cleanName(name: string): string {
  const clean = name.normalize("NFC").trim();
  if (clean === "" || clean.length > PLAYLIST_NAME_MAX) {
    throw new Invalid(`name must be 1..${PLAYLIST_NAME_MAX} characters`, [{ path: "name", message: clean === "" ? "is empty" : "too long" }]);
  }
  return clean;
}

/** Every id must name an existing track (any user's: tracks are readable by all). */
async function checkTracks(deps: PlaylistDeps, trackIds: string[]) {
  if (trackIds.length > PLAYLIST_TRACKS_MAX) throw new Invalid(`at most ${PLAYLIST_TRACKS_MAX} tracks`, [{ path: "trackIds", message: "too many" }]);
  const found = new Set((await deps.tracks.findMany([...new Set(trackIds)])).map((t) => t.id));
  const missing = trackIds.findIndex((id) => !found.has(id));
  if (missing >= 0) throw new Invalid("unknown track", [{ path: `trackIds.${missing}`, message: "no such track" }]);
}

// Another user's playlist answers as missing: whether an id exists is not the caller's business.
const notFound = () => new NotFound("no such playlist");

export async function createPlaylist(deps: PlaylistDeps, userId: string, input: { name: string; trackIds?: string[] }): Promise<PlaylistView> {
  const name = cleanName(input.name);
  const trackIds = input.trackIds ?? [];
  await checkTracks(deps, trackIds);
  return view(deps, await deps.playlists.create(userId, name, trackIds));
}

export async function listPlaylists(deps: PlaylistDeps, userId: string): Promise<PlaylistSummary[]> {
  return (await deps.playlists.listOwned(userId)).map(summary);
}

export async function getPlaylist(deps: PlaylistDeps, userId: string, id: string): Promise<PlaylistView> {
  const p = await deps.playlists.findOwned(id, userId);
  if (!p) throw notFound();
  return view(deps, p);
}

export async function renamePlaylist(deps: PlaylistDeps, userId: string, id: string, name: string): Promise<PlaylistView> {
  const p = await deps.playlists.rename(id, userId, cleanName(name));
  if (!p) throw notFound();
  return view(deps, p);
}

export async function setPlaylistTracks(deps: PlaylistDeps, userId: string, id: string, trackIds: string[]): Promise<PlaylistView> {
  if (!(await deps.playlists.findOwned(id, userId))) throw notFound();
  await checkTracks(deps, trackIds);
  const p = await deps.playlists.setTracks(id, userId, trackIds);
  if (!p) throw notFound();
  return view(deps, p);
}

export async function deletePlaylist(deps: PlaylistDeps, userId: string, id: string): Promise<void> {
  if (!(await deps.playlists.remove(id, userId))) throw notFound();
}
