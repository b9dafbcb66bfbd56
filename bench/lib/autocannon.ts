// autocannon, typed: it ships no types; this is the part of its documented API the benches use.
// A run is an event emitter ("response" per request) and a promise of its result.
import { createRequire } from "node:module";

export interface AutocannonHistogram {
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface AutocannonResult {
  requests: AutocannonHistogram & { total: number; sent: number };
  latency: AutocannonHistogram;
  throughput: AutocannonHistogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}

export interface AutocannonOptions {
  url: string;
  connections: number;
  /** Seconds. */
  duration: number;
  pipelining?: number;
  headers?: Record<string, string>;
  /** Requests per second over all connections. */
  overallRate?: number;
  requests?: object[];
}

export interface AutocannonRun extends PromiseLike<AutocannonResult> {
  on(event: "response", fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  on(event: "done", fn: (result: AutocannonResult) => void): void;
}

export const autocannon = createRequire(import.meta.url)("autocannon") as (opts: AutocannonOptions) => AutocannonRun;
