import { z } from "zod";
import { createPlaylist, deletePlaylist, getPlaylist, listPlaylists, PLAYLIST_NAME_MAX, PLAYLIST_TRACKS_MAX, renamePlaylist, setPlaylistTracks, type PlaylistDeps } from "../../domain/playlists.js";
import { Id, IdParams } from "../api-schemas.js";
import { defineRoute, type RouteKit } from "../route.js";
import { TrackSchema } from "./tracks.js";

const Summary = z.object({ id: z.string(), name: z.string(), trackCount: z.number().int(), createdAt: z.string(), updatedAt: z.string() });
const PlaylistSchema = Summary.extend({ tracks: z.array(TrackSchema) }).meta({ id: "Playlist" });
const PlaylistReply = z.object({ playlist: PlaylistSchema });
const Name = z.string().max(PLAYLIST_NAME_MAX * 2);
const TrackIds = z.array(Id).max(PLAYLIST_TRACKS_MAX);

export function registerPlaylistRoutes(kit: RouteKit, deps: PlaylistDeps) {
  const tag = "playlists";

  defineRoute(
    kit,
    { method: "get", path: "/playlists", summary: "The caller's playlists, oldest first", tag, responses: { 200: { description: "Playlists", schema: z.object({ playlists: z.array(Summary) }) } } },
    async ({ auth }) => ({ status: 200, body: { playlists: await listPlaylists(deps, auth.userId) } }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/playlists",
      summary: "Create a playlist",
      tag,
      body: z.strictObject({ name: Name, trackIds: TrackIds.optional() }),
      responses: { 201: { description: "Created", schema: PlaylistReply } },
    },
    async ({ auth, body }) => ({ status: 201, body: { playlist: await createPlaylist(deps, auth.userId, body) } }),
  );

  defineRoute(
    kit,
    { method: "get", path: "/playlists/:id", summary: "One of the caller's playlists with its tracks in order", tag, params: IdParams, responses: { 200: { description: "Playlist", schema: PlaylistReply } } },
    async ({ auth, params }) => ({ status: 200, body: { playlist: await getPlaylist(deps, auth.userId, params.id) } }),
  );

  defineRoute(
    kit,
    {
      method: "patch",
      path: "/playlists/:id",
      summary: "Rename a playlist",
      tag,
      params: IdParams,
      body: z.strictObject({ name: Name }),
      responses: { 200: { description: "Playlist", schema: PlaylistReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { playlist: await renamePlaylist(deps, auth.userId, params.id, body.name) } }),
  );

  defineRoute(
    kit,
    {
      method: "put",
      path: "/playlists/:id/tracks",
      summary: "Replace the playlist's tracks with this ordered list (repeats allowed)",
      tag,
      params: IdParams,
      body: z.strictObject({ trackIds: TrackIds }),
      responses: { 200: { description: "Playlist", schema: PlaylistReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { playlist: await setPlaylistTracks(deps, auth.userId, params.id, body.trackIds) } }),
  );

  defineRoute(
    kit,
    { method: "delete", path: "/playlists/:id", summary: "Delete a playlist", tag, params: IdParams, responses: { 204: { description: "Deleted" } } },
    async ({ auth, params }) => {
      await deletePlaylist(deps, auth.userId, params.id);
      return { status: 204 };
    },
  );
}
