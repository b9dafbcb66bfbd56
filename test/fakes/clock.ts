/**
 * The one clock every fake (and the use cases' `now` deps) reads. No timers: time moves only when
 * a test says so (`advance`), plus one millisecond per reading so that records made one after the
 * other never share a timestamp (the adapters order by createdAt/joinedAt; equal stamps would make
 * those orders depend on the engine).
 *
 * It starts an hour before the real clock: a few use cases stamp with `new Date()` rather than a
 * deps clock (sendMessage, editMessage, answerInvite), so real-time stamps always come after any
 * fake-clock stamp made in the same test, as they would in production.
 */
export class TestClock {
  private ms: number;

  constructor(start: Date | number = Date.now() - 3_600_000) {
    this.ms = typeof start === "number" ? start : start.getTime();
  }

  /** The current time; each reading moves the clock on by 1 ms. */
  now(): Date {
    return new Date(this.ms++);
  }

  /** Epoch ms, ticking like now(). */
  nowMs(): number {
    return this.ms++;
  }

  /** Moves time on, e.g. past a token's expiry or a rate limiter's window. */
  advance(ms: number): void {
    this.ms += ms;
  }
}
