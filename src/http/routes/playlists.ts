import { createPlaylist, deletePlaylist, getPlaylist, listPlaylists, renamePlaylist, setPlaylistTracks, type PlaylistDeps } from "../../domain/playlists.js";
import { IdParams } from "../../protocol/common.js";
import { CreatePlaylistBody, PlaylistReply, PlaylistsReply, PlaylistTracksBody, RenamePlaylistBody } from "../../protocol/playlists.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerPlaylistRoutes(kit: RouteKit, deps: PlaylistDeps) {
  const tag = "playlists";

  defineRoute(
    kit,
    { method: "get", path: "/playlists", summary: "The caller's playlists, oldest first", tag, responses: { 200: { description: "Playlists", schema: PlaylistsReply } } },
    async ({ auth }) => ({ status: 200, body: { playlists: await listPlaylists(deps, auth.userId) } }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/playlists",
      summary: "Create a playlist",
      tag,
      body: CreatePlaylistBody,
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
      body: RenamePlaylistBody,
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
      body: PlaylistTracksBody,
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
