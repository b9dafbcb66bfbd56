import multer from "multer";
import { getTrack, HlsFiles, listTracks, uploadTrack, type TrackDeps } from "../../domain/tracks.js";
import { Binary, IdParams } from "../../protocol/common.js";
import { HlsParams, TrackListQuery, TrackPage, TrackReply } from "../../protocol/tracks.js";
import { defineRoute, type RouteKit } from "../route.js";

// Segments never change once a track is ready; the playlist neither, but it is the entry point
// a client re-reads after an error, so it is kept for a day rather than a year.
const SEGMENT_CACHE = "private, max-age=31536000, immutable";
const PLAYLIST_CACHE = "private, max-age=86400";

export function registerTrackRoutes(kit: RouteKit, deps: TrackDeps) {
  const tag = "music";
  const hls = new HlsFiles(deps);
  const upload = multer({
    storage: multer.memoryStorage(),
    defParamCharset: "utf8",
    limits: { fileSize: deps.trackMaxBytes, files: 1, fields: 5, parts: 6, fieldSize: 1024 },
  });

  defineRoute(
    kit,
    {
      method: "post",
      path: "/tracks",
      summary: "Upload audio (multipart `file`, `title`, optional `artist`); it is transcoded to HLS in the background",
      tag,
      multipart: { file: "file", title: "string", artist: "string" },
      middleware: [upload.single("file")],
      responses: { 202: { description: "Accepted; poll GET /api/tracks/:id until ready", schema: TrackReply } },
    },
    async ({ auth, req }) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const text = (v: unknown) => (typeof v === "string" ? v : undefined);
      const track = await uploadTrack(deps, auth.userId, { bytes: req.file?.buffer, title: text(body.title), artist: text(body.artist) });
      return { status: 202, body: { track } };
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/tracks",
      summary: "Tracks, newest first (`mine=true`: the caller's uploads)",
      tag,
      query: TrackListQuery,
      responses: { 200: { description: "A page of tracks", schema: TrackPage } },
    },
    async ({ auth, query }) => ({
      status: 200,
      body: await listTracks(deps, { limit: query.limit, before: query.cursor, ownerId: query.mine === "true" ? auth.userId : undefined }),
    }),
  );

  defineRoute(
    kit,
    { method: "get", path: "/tracks/:id", summary: "A track and its transcoding status", tag, params: IdParams, responses: { 200: { description: "Track", schema: TrackReply } } },
    async ({ params }) => ({ status: 200, body: { track: await getTrack(deps, params.id) } }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/tracks/:id/hls/:file",
      summary: "The track's HLS playlist (index.m3u8) and AAC segments, once ready; Bearer auth (hls.js: set it in xhrSetup)",
      tag,
      params: HlsParams,
      responses: {
        200: { description: "Playlist or segment", schema: Binary, contentType: "application/vnd.apple.mpegurl" },
        409: { description: "The track is not ready (processing or failed)" },
      },
    },
    async ({ params, req, res }) => {
      const file = await hls.open(params.id, params.file);
      res.setHeader("Content-Type", file.contentType);
      res.setHeader("Content-Length", String(file.bytes.length));
      res.setHeader("Cache-Control", file.playlist ? PLAYLIST_CACHE : SEGMENT_CACHE);
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.status(200).end(req.method === "HEAD" ? undefined : file.bytes);
      return undefined;
    },
  );
}
