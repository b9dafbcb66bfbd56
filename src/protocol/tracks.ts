/** Music tracks and their HLS files (PROTOCOL.md, "Files and music"; docs/media.md). */
import { z } from "zod";
import { Id, PageQuery } from "./common.js";

export const TrackSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    artist: z.string().nullable(),
    status: z.enum(["processing", "ready", "failed"]),
    ownerId: z.string(),
    createdAt: z.string(),
    durationMs: z.number().int().optional(),
    loudnessLufs: z.number().optional().meta({ description: "Integrated loudness (EBU R128)" }),
    hlsUrl: z.string().optional(),
    error: z.string().optional(),
  })
  .meta({ id: "Track" });

/** GET /api/tracks: newest first; `mine=true` for the caller's uploads. */
export const TrackListQuery = PageQuery.extend({ mine: z.enum(["true", "false"]).optional() });
/** The track's HLS playlist (index.m3u8) or one of its segments. */
export const HlsParams = z.object({ id: Id, file: z.string().max(64) });

export const TrackReply = z.object({ track: TrackSchema });
export const TrackPage = z.object({ tracks: z.array(TrackSchema), nextCursor: z.string().nullable() });

export type Track = z.output<typeof TrackSchema>;
