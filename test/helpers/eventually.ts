/**
 * The one way a test waits for something that happens later (a broadcast, a feed event, a
 * background job): poll `check` until it passes, or fail with its last error after `within`.
 * `check` passes when it returns anything but `false` without throwing, so it can be a chai
 * assertion (`() => expect(x).to.have.length(3)`) or a condition (`() => seen.length === 3`).
 * Never a fixed sleep: a loaded machine makes sleeps flaky, and an idle one makes them slow.
 */
export interface EventuallyOptions {
  /** How long to keep trying, in ms (default 5 s). */
  within?: number;
  /** Pause between tries, in ms (default 10). */
  every?: number;
  /** Named in the failure. */
  what?: string;
}

export async function eventually<T>(check: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const within = opts.within ?? 5_000;
  const every = opts.every ?? 10;
  const deadline = Date.now() + within;
  let last: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result as Exclude<T, false>;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : "";
      throw new Error(`timed out after ${within} ms waiting for ${opts.what ?? "a condition"}${reason}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
