// Settings for a spawned server given on one environment variable, for A/B runs:
// BENCH_APP_ENV / LOADTEST_APP_ENV="SOCKET_COALESCE_WRITES=false DATABASE_POOL_SIZE=10".

/** "K=V K2=V2" as { K: "V", K2: "V2" }; an entry without "=" is an error. */
export function settingsFrom(text: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (text ?? "").split(" ").filter(Boolean).map((kv) => {
      const at = kv.indexOf("=");
      if (at <= 0) throw new Error(`not KEY=VALUE: ${kv}`);
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
  );
}
