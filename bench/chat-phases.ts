// Where the node's time went during a step, from its own histograms (src/metrics.ts,
// docs/metrics.md): /metrics is scraped before and after the measured window, and each
// histogram's p50/p99 over the window alone is read from the difference of its buckets, as
// Prometheus's histogram_quantile would. The phase whose p99 is close to an event's p99 holds its tail.

type Buckets = Map<number, number>; // le -> cumulative count
export type Histograms = Map<string, Buckets>; // "name{labels without le}" -> buckets

const BUCKET = /^([a-zA-Z_:][\w:]*)_bucket\{(.*)\}\s+(\S+)$/;

/** Every histogram series of the node's /metrics, or an empty map if it cannot be read. */
export async function scrapeHistograms(url: string): Promise<Histograms> {
  const out: Histograms = new Map();
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split("\n")) {
      const m = BUCKET.exec(line);
      if (!m) continue;
      const labels = m[2]!.split(/,(?=[a-zA-Z_]+=")/);
      const le = labels.find((l) => l.startsWith("le="))?.slice(4, -1);
      if (le === undefined) continue;
      const key = `${m[1]}{${labels.filter((l) => !l.startsWith("le=")).join(",")}}`;
      const buckets = out.get(key) ?? new Map<number, number>();
      buckets.set(le === "+Inf" ? Infinity : Number(le), Number(m[3]));
      out.set(key, buckets);
    }
  } catch {
    // A node that cannot be scraped has no breakdown; the step's own figures still stand.
  }
  return out;
}

/** The q-quantile of the window's observations (linear within the bucket), and their count. */
function quantile(before: Buckets | undefined, after: Buckets, q: number): { value: number; count: number } {
  const les = [...after.keys()].sort((a, b) => a - b);
  const cum = les.map((le) => (after.get(le) ?? 0) - (before?.get(le) ?? 0));
  const count = cum.at(-1) ?? 0;
  if (count <= 0) return { value: NaN, count: 0 };
  const rank = q * count;
  for (let i = 0; i < les.length; i++) {
    if (cum[i]! < rank) continue;
    const lo = i === 0 ? 0 : les[i - 1]!;
    const hi = les[i]!;
    if (hi === Infinity) return { value: lo, count };
    const below = i === 0 ? 0 : cum[i - 1]!;
    const inBucket = cum[i]! - below;
    return { value: lo + (hi - lo) * (inBucket ? (rank - below) / inBucket : 1), count };
  }
  return { value: NaN, count };
}

const ms = (s: number) => (Number.isNaN(s) ? "-" : s * 1000 >= 100 ? (s * 1000).toFixed(0) : (s * 1000).toFixed(1));

/** One series' window p50/p99 in ms, as "p50/p99 (n)"; null when nothing was observed. */
function figure(before: Histograms, after: Histograms, key: string): string | null {
  const a = after.get(key);
  if (!a) return null;
  const p99 = quantile(before.get(key), a, 0.99);
  if (!p99.count) return null;
  return `${ms(quantile(before.get(key), a, 0.5).value)}/${ms(p99.value)}`;
}

/** Lines for the report: each acked event's p50/p99 with its phases, then the commit and broadcast stages. */
export function phaseLines(before: Histograms, after: Histograms): string[] {
  const lines: string[] = [];
  const events = [...after.keys()]
    .map((k) => /^socketio_event_duration_seconds\{event="([^"]+)",outcome="ok"\}$/.exec(k)?.[1])
    .filter((e): e is string => !!e)
    .sort();
  for (const event of events) {
    const whole = figure(before, after, `socketio_event_duration_seconds{event="${event}",outcome="ok"}`);
    if (!whole) continue;
    const phases = ["validate", "handler", "ack"].map((p) => `${p} ${figure(before, after, `socketio_event_phase_seconds{event="${event}",phase="${p}"}`) ?? "-"}`);
    lines.push(`${event} ${whole}: ${phases.join(", ")}`);
  }
  const stages = [
    ["commit wait", "chat_message_commit_wait_seconds{}"],
    ["commit", "chat_message_commit_seconds{}"],
    ["broadcast message:new", 'chat_broadcast_seconds{event="message:new"}'],
    ["broadcast message:updated", 'chat_broadcast_seconds{event="message:updated"}'],
  ].flatMap(([name, key]) => {
    const f = figure(before, after, key!);
    return f ? [`${name} ${f}`] : [];
  });
  if (stages.length) lines.push(stages.join(", "));
  return lines.length ? [`node's own histograms over the window, p50/p99 ms: ${lines[0]}`, ...lines.slice(1).map((l) => `  ${l}`)] : [];
}
