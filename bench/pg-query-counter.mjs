// Preloaded into the app child by `bench/chat.ts --count-queries` (node --import): counts every
// statement the pg driver sends, by its SQL text. On SIGUSR2 it writes the counts so far to
// $PG_QUERY_COUNTS_FILE (the bench diffs two snapshots around a measured window). Bench only.
import { writeFileSync } from "node:fs";
import pg from "pg";

const counts = new Map();
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const text = typeof config === "string" ? config : config && typeof config.text === "string" ? config.text : "(other)";
  const key = text.replace(/\s+/g, " ").trim().slice(0, Number(process.env.PG_QUERY_KEY_CHARS) || 160);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return original.call(this, config, ...rest);
};
process.on("SIGUSR2", () => {
  const file = process.env.PG_QUERY_COUNTS_FILE;
  if (file) writeFileSync(file, JSON.stringify(Object.fromEntries(counts)));
});
// Also on exit (the load-test runner stops its nodes itself): the whole run's counts.
process.on("exit", () => {
  const file = process.env.PG_QUERY_COUNTS_FILE;
  if (file) writeFileSync(`${file}.exit`, JSON.stringify(Object.fromEntries(counts)));
});
