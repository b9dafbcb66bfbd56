/** Plays and charts (PROTOCOL.md, "Files and music"; docs/media.md): counted plays, the most played tracks. */
import { z } from "zod";
import { CHART_LIMIT_MAX, PAGE_LIMIT_DEFAULT } from "./limits.js";
import { TrackSchema } from "./tracks.js";

export const ChartQuery = z.object({ period: z.enum(["day", "week"]).default("day"), limit: z.coerce.number().int().min(1).max(CHART_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT) });

export const ChartReply = z.object({ tracks: z.array(z.object({ track: TrackSchema, plays: z.number().int() })) });

export type Chart = z.output<typeof ChartReply>;
