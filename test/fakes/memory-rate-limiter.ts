import { RateLimited } from "../../src/domain/errors.js";
import type { RateLimiter } from "../../src/domain/ports/rate-limiter.js";
import type { TestClock } from "./clock.js";

/**
 * RateLimiter (src/domain/ports/rate-limiter.ts) in memory, as src/store/rate-limiters.ts behaves
 * over rate-limiter-flexible: `points` per fixed window of `durationMs` that starts with the key's
 * first consume; consume() counts the points even when it refuses; consume() refuses once the
 * consumed points exceed `points`, check() once they reach it (remainingPoints <= 0); the wait is
 * whole seconds, at least 1. Time is the test clock's.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { consumed: number; endsAt: number }>();

  constructor(
    private readonly opts: { points: number; durationMs: number },
    private readonly clock: TestClock,
  ) {}

  async consume(key: string, points = 1): Promise<void> {
    const now = this.clock.nowMs();
    let w = this.current(key, now);
    if (!w) this.windows.set(key, (w = { consumed: 0, endsAt: now + this.opts.durationMs }));
    w.consumed += points;
    if (w.consumed > this.opts.points) throw new RateLimited(retryAfter(w.endsAt - now));
  }

  async check(key: string): Promise<void> {
    const now = this.clock.nowMs();
    const w = this.current(key, now);
    if (w && this.opts.points - w.consumed <= 0) throw new RateLimited(retryAfter(w.endsAt - now));
  }

  async reset(key: string): Promise<void> {
    this.windows.delete(key);
  }

  /** Points consumed in the key's current window (not part of the port). */
  consumed(key: string): number {
    return this.current(key, this.clock.nowMs())?.consumed ?? 0;
  }

  private current(key: string, now: number) {
    const w = this.windows.get(key);
    if (w && w.endsAt <= now) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }
}

const retryAfter = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
