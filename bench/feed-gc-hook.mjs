// Preloaded into node B by `bench/feed.ts` (node --expose-gc --import): on SIGUSR2 it runs a full
// garbage collection and writes the live V8 heap to stderr as one JSON line
// `{"feedBenchGc":{"heapUsed":…,"rss":…}}`, so the bench can read memory per held poll without
// counting garbage. Bench only.
process.on("SIGUSR2", () => {
  if (typeof globalThis.gc !== "function") return;
  globalThis.gc();
  const m = process.memoryUsage();
  process.stderr.write(`${JSON.stringify({ feedBenchGc: { heapUsed: m.heapUsed, external: m.external, rss: m.rss } })}\n`);
});
