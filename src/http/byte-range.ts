/** What a `Range` request header asks of a representation of `size` bytes (RFC 9110 §14). */
export type RangeRequest = { kind: "full" } | { kind: "partial"; start: number; end: number } | { kind: "unsatisfiable" };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * One byte range, inclusive. Anything this does not serve as a single part (other units,
 * several ranges, malformed values) gets the whole representation, which RFC 9110 allows a
 * server to send instead of a partial one.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: "full" };
  const m = /^bytes=\s*(.+)$/i.exec(header.trim());
  if (!m || m[1]!.includes(",")) return { kind: "full" };
  const spec = SPEC.exec(m[1]!.trim());
  if (!spec) return { kind: "full" };
  const [, first, last] = spec;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    // "-n": the last n bytes.
    const n = Number(last);
    if (!Number.isSafeInteger(n)) return { kind: "full" };
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? Infinity : Number(last);
  if (!Number.isSafeInteger(start) || !(end === Infinity || Number.isSafeInteger(end)) || end < start) return { kind: "full" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end: Math.min(end, size - 1) };
}
