// Pieces of the figures benches print: fixed-width tables, numbers that may be missing, CPU as a
// share of a core and per unit of work, and tallies of repeated messages.

/** A table column: its title and width (cells are right-aligned to it). */
export type Column = readonly [title: string, width: number];

/** The title line and a line of dashes under it. */
export function tableHeader(columns: readonly Column[]): string {
  return [columns.map(([title, w]) => title.padStart(w)).join(" "), columns.map(([, w]) => "-".repeat(w)).join(" ")].join("\n");
}

export function tableRow(columns: readonly Column[], cells: readonly string[]): string {
  return cells.map((c, i) => c.padStart(columns[i]![1])).join(" ");
}

/** `n` with `digits` decimals, or "-" when it is not a finite number (nothing was measured). */
export const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : "-");

/** CPU seconds used over `seconds` of wall time, as % of one core. */
export const percentOfCore = (cpuSeconds: number, seconds: number): number => (cpuSeconds / seconds) * 100;

/** CPU seconds spread over `count` units of work (requests, messages), in ms per unit. */
export const msPer = (cpuSeconds: number, count: number): number => (cpuSeconds * 1000) / Math.max(1, count);

/** Repeated items as "N x item, …" (in order of first appearance), or "none". */
export function tally(items: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return tallyOf(counts);
}

/** Counts as "N x key, …" (in their order), or "none". */
export function tallyOf(counts: Iterable<readonly [string, number]>, separator = ", "): string {
  return [...counts].map(([k, v]) => `${v} x ${k}`).join(separator) || "none";
}
