// PostgreSQL-side counters for bench/chat.ts: commits per second from pg_stat_database and, with
// --count-queries, statements per message from bench/pg-query-counter.mjs snapshots.

import { existsSync, readFileSync, rmSync } from "node:fs";
import pg from "pg";
import type { SuiteProcess } from "./lib/suite-process.js";

export interface DbCounters { commits: number; rollbacks: number; inserted: number; updated: number; fetched: number }

export async function dbCounters(url: string, db: string): Promise<DbCounters | null> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const r = await c.query(
      `SELECT xact_commit::float8 AS commits, xact_rollback::float8 AS rollbacks, tup_inserted::float8 AS inserted,
              tup_updated::float8 AS updated, tup_fetched::float8 AS fetched FROM pg_stat_database WHERE datname = $1`, [db]);
    return (r.rows[0] as DbCounters) ?? null;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => {});
  }
}

/** "pg: N commits/s (x per stored msg), …" — pg_stat_database is flushed about once a second, so approximate. */
export function dbLine(a: DbCounters | null, b: DbCounters | null, seconds: number, msgs: number): string {
  if (!a || !b) return "";
  const per = (x: number) => (msgs ? (x / msgs).toFixed(2) : "-");
  const d = (k: keyof DbCounters) => b[k] - a[k];
  return `pg: ${(d("commits") / seconds).toFixed(0)} commits/s (${per(d("commits"))} per stored msg), rows inserted ${per(d("inserted"))}, updated ${per(d("updated"))} per msg, ${d("rollbacks")} rollbacks`;
}

/** Asks the app child (started with the counter preloaded) for its statement counts so far. */
export async function querySnapshot(child: SuiteProcess, file: string): Promise<Record<string, number> | null> {
  rmSync(file, { force: true });
  child.child.kill("SIGUSR2");
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 20));
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
      } catch {
        // partly written; try again
      }
    }
  }
  return null;
}

export function queryLines(a: Record<string, number> | null, b: Record<string, number> | null, msgs: number, top = 12): string {
  if (!a || !b || !msgs) return "  (no statement counts)";
  const diff = Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
  const total = diff.reduce((s, [, v]) => s + v, 0);
  const out = [`  statements per stored message: ${(total / msgs).toFixed(2)} (${total} in the window), top:`];
  for (const [k, v] of diff.slice(0, top)) out.push(`  ${(v / msgs).toFixed(3).padStart(7)}  ${k.slice(0, 130)}`);
  return out.join("\n");
}
