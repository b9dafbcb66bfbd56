// Percentiles of a sample of values (latencies, usually in ms). For the bucketed histograms the chat
// generator keeps, see latency-histogram.ts.

/**
 * The nearest-rank percentile of an ascending array: the smallest value with at least p % of the
 * sample at or below it (NaN when empty).
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * The value at index floor(p/100 × n) of an ascending array (NaN when empty): the nearest rank,
 * except one rank higher where p/100 × n is a whole number. bench/message-store.ts and
 * bench/search.ts have always reported this one; kept so their figures compare with older runs.
 */
export function percentileAtFloorIndex(sorted: readonly number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, extremes and mean of `values` (left unsorted); NaN where there are none. */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0] ?? NaN,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.at(-1) ?? NaN,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}
