// Self-time summary of a V8 .cpuprofile (node --cpu-prof), limited to the measured windows.
//   npx tsx bench/chat-profile.ts <file.cpuprofile> [top]                (whole profile)
//   npx tsx bench/chat-profile.ts <file.cpuprofile> --callers <function>  (who calls it, by self time)
//   npx tsx bench/chat-profile.ts <file.cpuprofile> --inclusive [top]     (time with each function on the stack)
// bench/chat.ts --profile calls summarize() with the windows of its measured steps.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** Where a function lives: an npm package, node internals, or a directory of our code. */
function category(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native/builtin)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + 13).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const src = url.indexOf("/src/");
  if (src >= 0) {
    const rest = url.slice(src + 1).split("/");
    return rest.length > 2 ? `${rest[0]}/${rest[1]}` : rest.join("/");
  }
  return url.replace(/^file:\/\//, "");
}

/** Windows are [fromUs, toUs) on the monotonic clock (process.hrtime), which V8 profiles share on Linux. */
export function summarize(file: string, windows: [number, number][] = [], top = 25): string {
  const prof = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfFn = new Map<string, number>();
  const selfCat = new Map<string, number>();
  let t = prof.startTime;
  let total = 0;
  let inWindows = 0;
  const useWindows = windows.length > 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    t += dt;
    if (useWindows && !windows.some(([a, b]) => t >= a && t < b)) continue;
    inWindows++;
    const node = byId.get(prof.samples[i]!);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || "(anonymous)";
    const where = url ? `${url.replace(/^file:\/\//, "").replace(/^.*node_modules\//, "~/")}:${lineNumber + 1}` : "";
    const key = where ? `${name}  ${where}` : name;
    selfFn.set(key, (selfFn.get(key) ?? 0) + dt);
    const cat = category(url, name);
    selfCat.set(cat, (selfCat.get(cat) ?? 0) + dt);
    total += dt;
  }
  const out: string[] = [];
  if (useWindows && inWindows === 0) return `${summarize(file, [], top)}\n(no samples fell in the measured windows; whole profile shown)`;
  out.push(`profile ${path.basename(file)}: ${(total / 1e6).toFixed(1)} s of samples${useWindows ? " inside the measured windows" : ""}`);
  const pct = (x: number) => `${((100 * x) / total).toFixed(1).padStart(5)}%`;
  out.push("", "self time by package / area:");
  for (const [k, v] of [...selfCat].sort((a, b) => b[1] - a[1]).slice(0, 20)) out.push(`  ${pct(v)}  ${k}`);
  out.push("", `top ${top} functions by self time:`);
  for (const [k, v] of [...selfFn].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${pct(v)}  ${k}`);
  return out.join("\n");
}

/** The call chains (up to `depth` frames) under which `fn` spends its self time. */
export function callers(file: string, fn: string, depth = 8): string {
  const prof = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const chains = new Map<string, number>();
  let total = 0;
  for (const n of prof.nodes) {
    const t = self.get(n.id) ?? 0;
    if (n.callFrame.functionName !== fn || !t) continue;
    total += t;
    const chain: string[] = [];
    for (let id = parent.get(n.id); id !== undefined && chain.length < depth; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      chain.push(`${f.functionName || "(anon)"}@${f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/src\//, "src/")}:${f.lineNumber + 1}`);
    }
    chains.set(chain.join(" < "), (chains.get(chain.join(" < ")) ?? 0) + t);
  }
  const out = [`${fn}: ${(total / 1e6).toFixed(2)} s self time, by caller chain:`];
  for (const [k, v] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 15)) out.push(`  ${(v / 1e6).toFixed(2).padStart(6)} s  ${k}`);
  return out.join("\n");
}

/**
 * Time with each of our functions (src/) on the stack, callees included: what a use case costs in
 * all, where self time scatters it over the libraries it calls. Synchronous stacks only: time after
 * an await counts under whatever resumed it (often runMicrotasks).
 */
export function inclusive(file: string, top = 40): string {
  const prof = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (f: CallFrame) => (f.url.includes("/src/") && !f.url.includes("node_modules") ? `${f.functionName || "(anonymous)"}  ${f.url.replace(/^.*?\/src\//, "src/")}:${f.lineNumber + 1}` : null);
  const time = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(byId.get(at)!.callFrame);
      if (key) seen.add(key);
    }
    for (const key of seen) time.set(key, (time.get(key) ?? 0) + dt);
  });
  const out = [`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s of samples; time with each function of src/ on the stack:`];
  for (const [k, v] of [...time].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  return out.join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: npx tsx bench/chat-profile.ts <file.cpuprofile>");
    process.exit(2);
  }
  const i = process.argv.indexOf("--callers");
  const j = process.argv.indexOf("--inclusive");
  if (i > 0) console.log(callers(file, process.argv[i + 1] ?? "writev"));
  else if (j > 0) console.log(inclusive(file, Number(process.argv[j + 1] ?? 40)));
  else console.log(summarize(file, [], Number(process.argv[3] ?? 40)));
}
