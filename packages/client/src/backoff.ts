/**
 * How long to wait before trying again (docs/clients.md, "When to reconnect"): 250–750 ms with
 * jitter after the first failure, doubling on each further one up to a few seconds, so clients
 * dropped together by a node's death do not all come back in the same instant.
 */
export interface BackoffOptions {
  /** The middle of the first wait, in ms (default 500: 250–750 ms). */
  baseMs?: number;
  /** The longest wait, in ms (default 5,000). */
  maxMs?: number;
}

/** The wait before attempt `failures + 1` (failures counts from 0: the first retry). */
export function backoffDelay(failures: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 5_000;
  const middle = Math.min(max, base * 2 ** Math.min(failures, 30));
  return Math.min(max, middle * (0.5 + Math.random()));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
