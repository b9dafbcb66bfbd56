export interface RateLimiter {
  /** Spends points for `key`; throws RateLimited (with the wait) when none are left. */
  consume(key: string, points?: number): Promise<void>;
  /** Throws RateLimited when `key` has no points left, without spending any. */
  check(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}
