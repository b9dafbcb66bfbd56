/** Playlists of the caller: ordered tracks, repeats allowed (PROTOCOL.md, "Files and music"). */
import { z } from "zod";
import { Id } from "./common.js";
import { PLAYLIST_NAME_MAX, PLAYLIST_TRACKS_MAX } from "./limits.js";
import { TrackSchema } from "./tracks.js";

export const PlaylistSummarySchema = z.object({ id: z.string(), name: z.string(), trackCount: z.number().int(), createdAt: z.string(), updatedAt: z.string() });
export const PlaylistSchema = PlaylistSummarySchema.extend({ tracks: z.array(TrackSchema) }).meta({ id: "Playlist" });

// The use case normalizes and trims the name, then applies PLAYLIST_NAME_MAX: surrounding spaces
// are forgiven. This looser bound only keeps an absurd body from reaching it.
const PlaylistName = z.string().max(PLAYLIST_NAME_MAX * 2);
const TrackIds = z.array(Id).max(PLAYLIST_TRACKS_MAX);

export const CreatePlaylistBody = z.strictObject({ name: PlaylistName, trackIds: TrackIds.optional() });
export const RenamePlaylistBody = z.strictObject({ name: PlaylistName });
export const PlaylistTracksBody = z.strictObject({ trackIds: TrackIds });

export const PlaylistsReply = z.object({ playlists: z.array(PlaylistSummarySchema) });
export const PlaylistReply = z.object({ playlist: PlaylistSchema });

export type Playlist = z.output<typeof PlaylistSchema>;
export type PlaylistSummary = z.output<typeof PlaylistSummarySchema>;
