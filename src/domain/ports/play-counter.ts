export type ChartPeriod = "day" | "week";

/** Counts plays (once per user per track per window) and ranks tracks by plays. */
export interface PlayCounter {
  /** True when this play was counted; false when the user's last counted play of it is too recent. */
  record(userId: string, trackId: string, at: Date): Promise<boolean>;
  /** Most played first (ties by track id), over the UTC day of `now` or the 7 UTC days ending with it. */
  top(period: ChartPeriod, limit: number, now: Date): Promise<{ trackId: string; plays: number }[]>;
}

/** Once per user per track per this long (PROTOCOL.md, "Files and music"). */
export const PLAY_WINDOW_MS = 30_000;
