// Latency histogram shared by the chat generator (bench/chat-worker.ts), bench/chat.ts and the scale-out
// runner's lean tool.
// Buckets: 0.05 ms wide below 100 ms, 1 ms wide from 100 ms to 60 s; one overflow bucket.

const FINE_MS = 100;
const FINE_STEP = 0.05;
const FINE_BUCKETS = FINE_MS / FINE_STEP; // 2,000
const COARSE_MAX_MS = 60_000;
const BUCKETS = FINE_BUCKETS + (COARSE_MAX_MS - FINE_MS) + 1;

export type Hist = Uint32Array;

export const newHist = (): Hist => new Uint32Array(BUCKETS);

export function record(h: Hist, ms: number): void {
  if (!(ms >= 0)) ms = 0; // clocks of two threads may disagree by a few µs
  const i = ms < FINE_MS ? Math.floor(ms / FINE_STEP) : Math.min(BUCKETS - 1, FINE_BUCKETS + Math.floor(ms - FINE_MS));
  h[i]!++;
}

export function merge(into: Hist, from: Hist): void {
  for (let i = 0; i < BUCKETS; i++) into[i]! += from[i]!;
}

export function count(h: Hist): number {
  let n = 0;
  for (let i = 0; i < BUCKETS; i++) n += h[i]!;
  return n;
}

/** Upper edge of the bucket holding the p-th percentile (NaN when empty). */
export function percentile(h: Hist, p: number): number {
  const total = count(h);
  if (!total) return NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += h[i]!;
    if (seen >= rank) return i < FINE_BUCKETS ? (i + 1) * FINE_STEP : i === BUCKETS - 1 ? Infinity : FINE_MS + (i - FINE_BUCKETS + 1);
  }
  return NaN;
}

/** Width of the slots over which the worst ack of each part of a window is kept (StepResult.worstAckBySlot). */
export const SLOT_MS = 100;
