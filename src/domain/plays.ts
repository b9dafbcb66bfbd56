import { Invalid } from "./errors.js";
import type { ChartPeriod, PlayCounter } from "./ports/play-counter.js";
import type { TrackRepository } from "./ports/track-repository.js";
import { requireReadyTrack, viewTrack } from "./tracks.js";
import { CHART_LIMIT_MAX } from "../protocol/limits.js";
import type { Chart } from "../protocol/plays.js";

export interface PlayDeps {
  tracks: TrackRepository;
  plays: PlayCounter;
}


/** A listener started a track. Repeats within the window are accepted and not counted. */
export async function recordPlay(deps: PlayDeps, userId: string, trackId: string): Promise<boolean> {
  await requireReadyTrack(deps, trackId);
  return deps.plays.record(userId, trackId, new Date());
}

export async function charts(deps: PlayDeps, period: ChartPeriod, limit: number): Promise<Chart> {
  if (limit < 1 || limit > CHART_LIMIT_MAX) throw new Invalid(`limit must be 1..${CHART_LIMIT_MAX}`, [{ path: "limit", message: "out of range" }]);
  const top = await deps.plays.top(period, limit, new Date());
  const byId = new Map((await deps.tracks.findMany(top.map((t) => t.trackId))).map((t) => [t.id, t]));
  return {
    tracks: top.flatMap(({ trackId, plays }) => {
      const track = byId.get(trackId);
      return track ? [{ track: viewTrack(track), plays }] : [];
    }),
  };
}
