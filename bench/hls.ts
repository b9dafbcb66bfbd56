// HLS serving benchmark: N listeners start one track at the same moment and fetch its playlist
// and every segment, as a player catching up would (no pacing: this is the burst a room's
// "play for everyone" causes, then a full download).
//
//   npm run bench:hls                             100 listeners, a 120 s track, 5 rounds, PostgreSQL
//   npx tsx bench/hls.ts --listeners 200 --rounds 5 --backend embedded
//   npx tsx bench/hls.ts --cpu-prof               the server writes a V8 profile to .tmp/bench-profiles
//                                                 (summary: npx tsx bench/chat-profile.ts <file>)
//
// It starts one node as a child process (`node --import tsx src/main.ts`) on a fresh database
// (`chat_bench_hls`, dropped afterwards; or the embedded one), signs up one user per listener,
// uploads two sine tracks made by ffmpeg and waits until they are transcoded; a warm-up round
// plays the first, the measured rounds the second. Each round, every listener
// runs: GET index.m3u8 -> GET the first segment (time to first segment, from the round's start)
// -> GET the remaining segments one after another. Reported: time to first segment p50/p95/max,
// per-segment latency, bytes and bytes/s served. The load generator runs in this process, on
// the same cores as the server: figures include its cost.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { fetchJson, signUp } from "./lib/api-client.js";
import { adminUrlFrom, BenchDatabase } from "./lib/bench-database.js";
import { NodeSuite, repoRoot } from "./lib/node-suite.js";
import { percentile } from "./lib/percentiles.js";
import { processCpu } from "./lib/proc-stats.js";
import { msPer } from "./lib/report.js";

const { values: args } = parseArgs({
  options: {
    listeners: { type: "string", default: "100" },
    seconds: { type: "string", default: "120" },
    rounds: { type: "string", default: "5" },
    backend: { type: "string", default: "postgres" },
    "cpu-prof": { type: "boolean", default: false },
  },
});
const LISTENERS = Number(args.listeners);
const TRACK_SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const BACKEND = args.backend === "embedded" ? "embedded" : "postgres";
const database = new BenchDatabase("chat_bench_hls", adminUrlFrom("BENCH_PG_URL", "TEST_PG_URL"));
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The load generator shares the machine's cores with the server, so it must be cheap: plain
// http.get on keep-alive sockets costs about half of what fetch does per request here.
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
function get(url: URL, token: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

/** CPU seconds (user + system) the server has used. */
const cpuSeconds = (pid: number) => processCpu(pid)!.cpuMs / 1000;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const suite = new NodeSuite();
  try {
    if (BACKEND === "postgres") await database.recreate();
    const prof = args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.join(repoRoot, ".tmp", "bench-profiles")}`] : [];
    const server = await suite.startApp({
      name: "server",
      nodeArgs: prof,
      output: { stdout: "inherit", stderr: "inherit" },
      env: {
        LOG_LEVEL: "warn",
        BCRYPT_COST: "4",
        RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
        ...(BACKEND === "postgres" ? { DATABASE_URL: database.url } : {}),
      },
    });
    const { url } = server;

    log(`signing up ${LISTENERS} listeners`);
    const tokens: string[] = [];
    for (let i = 0; i < LISTENERS; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, LISTENERS - i) }, () =>
          signUp(url, { email: `hls-${randomUUID()}@example.test`, password: "benchmark password", displayName: "Listener" }),
        ),
      );
      tokens.push(...batch.map((b) => b.accessToken));
    }

    const upload = async (frequency: number) => {
      const { stdout: mp3 } = await promisify(execFile)(
        "ffmpeg",
        ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", `sine=frequency=${frequency}:duration=${TRACK_SECONDS}`, "-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", "-f", "mp3", "pipe:1"],
        { encoding: "buffer", maxBuffer: 512 * 1024 * 1024 },
      );
      const form = new FormData();
      form.append("title", "Bench");
      form.append("file", new Blob([new Uint8Array(mp3)], { type: "audio/mpeg" }), "bench.mp3");
      const started = Date.now();
      const { track } = await fetchJson(`${url}/api/tracks`, { method: "POST", body: form, token: tokens[0]! });
      let ready: any;
      for (;;) {
        ready = (await fetchJson(`${url}/api/tracks/${track.id}`, { token: tokens[0]! })).track;
        if (ready.status !== "processing") break;
        await sleep(100);
      }
      if (ready.status !== "ready") throw new Error(`transcode failed: ${ready.error}`);
      log(`a ${TRACK_SECONDS} s track transcoded in ${Date.now() - started} ms (upload to ready, ${(mp3.length / 1024).toFixed(0)} KiB MP3)`);
      return `${url}${ready.hlsUrl}`;
    };
    // Two tracks: one warms the node up (connections, JIT), the measured one is then played by
    // everyone for the first time, as when a room starts a new song on a node that is running.
    const warmupUrl = await upload(330);
    const measuredUrl = await upload(440);
    const rounds: { ttfs: number[]; seg: number[]; bytes: number; wallMs: number; errors: number; serverCpuS: number }[] = [];
    const load = [loadavg()[0]!];
    for (let r = 0; r <= ROUNDS; r++) {
      const playlistUrl = r === 0 ? warmupUrl : measuredUrl;
      const ttfs: number[] = [];
      const seg: number[] = [];
      let bytes = 0;
      let errors = 0;
      const cpu0 = cpuSeconds(server.pid);
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        tokens.map(async (token) => {
          try {
            const pres = await get(new URL(playlistUrl), token);
            const text = pres.body.toString("utf8");
            bytes += pres.body.length;
            const uris = text.split("\n").filter((l) => l && !l.startsWith("#"));
            for (let i = 0; i < uris.length; i++) {
              const s0 = performance.now();
              const res = await get(new URL(uris[i]!, playlistUrl), token);
              const body = res.body;
              if (res.status !== 200) errors++;
              const now = performance.now();
              seg.push(now - s0);
              bytes += body.byteLength;
              if (i === 0) ttfs.push(now - t0);
            }
          } catch {
            errors++;
          }
        }),
      );
      const wallMs = performance.now() - t0;
      const serverCpuS = cpuSeconds(server.pid) - cpu0;
      const clientUsage = process.cpuUsage(client0);
      const clientCpuS = (clientUsage.user + clientUsage.system) / 1e6;
      if (r > 0) rounds.push({ ttfs, seg, bytes, wallMs, errors, serverCpuS });
      ttfs.sort((a, b) => a - b);
      seg.sort((a, b) => a - b);
      log(
        `${r === 0 ? "warm-up (another track)" : `round ${r}`}: time to first segment p50 ${fmt(percentile(ttfs, 50))} p95 ${fmt(percentile(ttfs, 95))} max ${fmt(ttfs.at(-1)!)}; ` +
          `segment p50 ${fmt(percentile(seg, 50))} p95 ${fmt(percentile(seg, 95))}; ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${fmt(wallMs)} = ` +
          `${(bytes / 1024 / 1024 / (wallMs / 1000)).toFixed(1)} MiB/s; ${seg.length} segments; errors ${errors}; ` +
          `server CPU ${serverCpuS.toFixed(2)} s = ${msPer(serverCpuS, seg.length + LISTENERS).toFixed(3)} ms per request; ` +
          `load generator CPU ${clientCpuS.toFixed(2)} s; 1-min load average ${loadavg()[0]!.toFixed(2)}`,
      );
    }
    // Round 1 is the track's first burst (nothing of it cached yet: a database read, file reads);
    // later rounds show the steady state. Both are reported, separately.
    const figures = (rs: typeof rounds) => {
      if (!rs.length) return null;
      const sorted = (k: "ttfs" | "seg") => rs.flatMap((r) => r[k]).sort((a, b) => a - b);
      const ttfs = sorted("ttfs");
      const seg = sorted("seg");
      const bytes = rs.reduce((n, r) => n + r.bytes, 0);
      const wall = rs.reduce((n, r) => n + r.wallMs, 0);
      const requests = rs.reduce((n, r) => n + r.seg.length + LISTENERS, 0);
      const cpu = rs.reduce((n, r) => n + r.serverCpuS, 0);
      return {
        rounds: rs.length,
        timeToFirstSegmentMs: { p50: +percentile(ttfs, 50).toFixed(1), p95: +percentile(ttfs, 95).toFixed(1), max: +ttfs.at(-1)!.toFixed(1) },
        segmentLatencyMs: { p50: +percentile(seg, 50).toFixed(1), p95: +percentile(seg, 95).toFixed(1), p99: +percentile(seg, 99).toFixed(1) },
        bytesServed: bytes,
        bytesPerSecond: Math.round(bytes / (wall / 1000)),
        serverCpuMsPerRequest: +msPer(cpu, requests).toFixed(3),
        errors: rs.reduce((n, r) => n + r.errors, 0),
      };
    };
    load.push(loadavg()[0]!);
    const summary = {
      listeners: LISTENERS,
      backend: BACKEND,
      cores: cpus().length,
      trackSeconds: TRACK_SECONDS,
      segmentsPerListener: rounds[0]!.seg.length / LISTENERS,
      firstBurst: figures(rounds.slice(0, 1)),
      steady: figures(rounds.slice(1)),
      // Other work on the machine skews latency figures; CPU per request does not depend on it.
      loadAverage1m: { before: +load[0]!.toFixed(2), after: +load[1]!.toFixed(2) },
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await suite.stopAll();
    if (BACKEND === "postgres") await database.drop().catch(() => {});
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
