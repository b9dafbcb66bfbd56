import { PLAY_WINDOW_MS, type ChartPeriod, type PlayCounter } from "../domain/ports/play-counter.js";
import { chartDays, utcDay } from "./prisma-plays.js";
import type { RedisClient, RedisMode } from "./redis-connections.js";

// Day sets are read by week charts for 7 days; one more day of margin for clock skew.
const DAY_KEY_TTL_S = 8 * 86_400;
const WEEK_KEY_TTL_S = 60;

/**
 * Plays in Redis: SET NX PX for the once-per-window rule, one sorted set per UTC day for charts
 * (ZINCRBY), a week is the union of 7 days. Redis here may be run without persistence: charts
 * then restart from zero with Redis (docs/media.md); plays never matter for correctness.
 *
 * On a Redis Cluster the week's union reads 7 day sets in one command: the chart keys share one
 * hash tag (`media:chart:{chart}:<day>`), so they sit in one slot. Small: 7 sorted sets of tracks.
 */
export class RedisPlayCounter implements PlayCounter {
  private readonly charts: string;

  constructor(
    private readonly redis: RedisClient,
    opts: { mode?: RedisMode } = {},
  ) {
    this.charts = opts.mode === "cluster" ? "media:chart:{chart}:" : "media:chart:";
  }

  async record(userId: string, trackId: string, at: Date): Promise<boolean> {
    const first = await this.redis.set(`media:play:${userId}:${trackId}`, "1", "PX", PLAY_WINDOW_MS, "NX");
    if (first !== "OK") return false;
    const key = `${this.charts}${utcDay(at)}`;
    await this.redis.multi().zincrby(key, 1, trackId).expire(key, DAY_KEY_TTL_S).exec();
    return true;
  }

  async top(period: ChartPeriod, limit: number, now: Date) {
    const days = chartDays(period, now).map((d) => `${this.charts}${d}`);
    let flat: string[];
    if (days.length === 1) {
      flat = await this.redis.zrevrange(days[0]!, 0, limit - 1, "WITHSCORES");
    } else {
      const dest = `${this.charts}week:${utcDay(now)}`;
      // Union and read in one MULTI, so a concurrent chart read cannot interleave a half union.
      const results = await this.redis
        .multi()
        .zunionstore(dest, days.length, ...days)
        .zrevrange(dest, 0, limit - 1, "WITHSCORES")
        .expire(dest, WEEK_KEY_TTL_S)
        .exec();
      const [err, value] = results?.[1] ?? [new Error("redis transaction aborted"), null];
      if (err) throw err;
      flat = value as string[];
    }
    const out: { trackId: string; plays: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ trackId: flat[i]!, plays: Number(flat[i + 1]) });
    return out;
  }
}
