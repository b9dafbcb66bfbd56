import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { RateLimited } from "../domain/errors.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import type { RedisClient } from "./redis-connections.js";

class FlexibleRateLimiter implements RateLimiter {
  constructor(private readonly limiter: RateLimiterAbstract) {}

  async consume(key: string, points = 1) {
    try {
      await this.limiter.consume(key, points);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimited(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  }

  async check(key: string) {
    const res = await this.limiter.get(key);
    if (res && res.remainingPoints <= 0) throw new RateLimited(Math.max(1, Math.ceil(res.msBeforeNext / 1000)));
  }

  async reset(key: string) {
    await this.limiter.delete(key);
  }
}

/**
 * Shared across nodes through Redis when it is configured (one Redis or a Redis Cluster), per
 * process otherwise. Each limit is one key (`rl:<prefix>:<key>`) changed by a one-key script or a
 * one-key MULTI, so on a cluster every call stays on that key's slot and the keys spread over the
 * shards by what they limit; nothing here needs a hash tag.
 */
export function createRateLimiter(opts: { keyPrefix: string; points: number; durationSeconds: number; redis?: RedisClient | undefined }): RateLimiter {
  const base = { keyPrefix: `rl:${opts.keyPrefix}`, points: opts.points, duration: opts.durationSeconds };
  return new FlexibleRateLimiter(
    opts.redis
      ? new RateLimiterRedis({ ...base, storeClient: opts.redis, insuranceLimiter: new RateLimiterMemory(base) })
      : new RateLimiterMemory(base),
  );
}
