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
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import pg from "pg";

const root = fileURLToPath(new URL("..", import.meta.url));
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
const DB_NAME = "chat_bench_hls";
const adminUrl = process.env.BENCH_PG_URL || process.env.TEST_PG_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${DB_NAME}`;
  return u.toString();
})();
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function json(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body as any;
}

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

/** CPU seconds (user + system) a Linux process has used, from /proc (USER_HZ is 100). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const dataDir = await mkdtemp(path.join(tmpdir(), "chat-bench-hls-"));
  let child: ChildProcess | undefined;
  try {
    if (BACKEND === "postgres") {
      await admin(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${DB_NAME}"`);
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const prof = args["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${path.join(root, ".tmp", "bench-profiles")}`] : [];
    child = spawn(process.execPath, [...prof, "--import", "tsx", "src/main.ts"], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        LOG_LEVEL: "warn",
        BCRYPT_COST: "4",
        RATE_LIMIT_AUTH_PER_MINUTE: "1000000",
        ...(BACKEND === "postgres" ? { DATABASE_URL: dbUrl } : {}),
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error("server exited before it was ready");
      const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600) throw new Error("server not ready in time");
      await sleep(100);
    }

    log(`signing up ${LISTENERS} listeners`);
    const tokens: string[] = [];
    for (let i = 0; i < LISTENERS; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, LISTENERS - i) }, () =>
          json(`${url}/api/auth/signup`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ email: `hls-${randomUUID()}@example.test`, password: "benchmark password", displayName: "Listener" }),
          }),
        ),
      );
      tokens.push(...batch.map((b) => b.accessToken as string));
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
      const { track } = await json(`${url}/api/tracks`, { method: "POST", body: form, headers: { authorization: `Bearer ${tokens[0]}` } });
      let ready: any;
      for (;;) {
        ready = (await json(`${url}/api/tracks/${track.id}`, { headers: { authorization: `Bearer ${tokens[0]}` } })).track;
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
      const cpu0 = await cpuSeconds(child.pid!);
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
      const serverCpuS = (await cpuSeconds(child.pid!)) - cpu0;
      const clientUsage = process.cpuUsage(client0);
      const clientCpuS = (clientUsage.user + clientUsage.system) / 1e6;
      if (r > 0) rounds.push({ ttfs, seg, bytes, wallMs, errors, serverCpuS });
      ttfs.sort((a, b) => a - b);
      seg.sort((a, b) => a - b);
      log(
        `${r === 0 ? "warm-up (another track)" : `round ${r}`}: time to first segment p50 ${fmt(pct(ttfs, 50))} p95 ${fmt(pct(ttfs, 95))} max ${fmt(ttfs.at(-1)!)}; ` +
          `segment p50 ${fmt(pct(seg, 50))} p95 ${fmt(pct(seg, 95))}; ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${fmt(wallMs)} = ` +
          `${(bytes / 1024 / 1024 / (wallMs / 1000)).toFixed(1)} MiB/s; ${seg.length} segments; errors ${errors}; ` +
          `server CPU ${serverCpuS.toFixed(2)} s = ${((serverCpuS * 1000) / (seg.length + LISTENERS)).toFixed(3)} ms per request; ` +
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
        timeToFirstSegmentMs: { p50: +pct(ttfs, 50).toFixed(1), p95: +pct(ttfs, 95).toFixed(1), max: +ttfs.at(-1)!.toFixed(1) },
        segmentLatencyMs: { p50: +pct(seg, 50).toFixed(1), p95: +pct(seg, 95).toFixed(1), p99: +pct(seg, 99).toFixed(1) },
        bytesServed: bytes,
        bytesPerSecond: Math.round(bytes / (wall / 1000)),
        serverCpuMsPerRequest: +((cpu * 1000) / requests).toFixed(3),
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
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child!.once("exit", r));
    }
    if (BACKEND === "postgres") await admin(`DROP DATABASE IF EXISTS "${DB_NAME}" WITH (FORCE)`).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
