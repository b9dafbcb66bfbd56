import { TranscodeFailed, type AudioTranscoder } from "./ports/audio-transcoder.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { ClaimedJob, TrackRepository } from "./ports/track-repository.js";
import { readBlob, trackHlsKey, trackSourceKey } from "./tracks.js";

export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TranscodeWorkerDeps {
  tracks: TrackRepository;
  blobs: BlobStorage;
  transcoder: AudioTranscoder;
  log: WorkerLog;
  /** Jobs this node runs at once (each is one ffmpeg process). */
  concurrency: number;
  /** A claim lasts this long unless renewed; a dead node's job is taken over after it. */
  leaseMs: number;
  /**
   * True when no other process can be using the database (embedded PGlite, guarded by the
   * DATA_DIR lock): every job left running is then a dead run's and is queued again at once.
   */
  soleWorker: boolean;
  /** Other nodes' uploads are found by polling this often (this node's wake the worker at once). */
  pollMs?: number;
}

// A job whose node keeps dying while running it (say ffmpeg takes the machine's memory) must
// not take down every node in turn: after this many claims it fails.
export const MAX_ATTEMPTS = 3;
const DEFAULT_POLL_MS = 5_000;

type Stop = "release" | "abandon";

/**
 * Runs the durable transcode queue (docs/media.md). Claims are leases in the database, so any
 * node may run any job, a job runs on one node at a time, and a job whose node died is picked up
 * again by whichever node next finds its lease expired (at once after a restart on the embedded
 * database; after at most one lease on PostgreSQL).
 */
export class TranscodeWorker {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private stopping: Stop | null = null;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private pokes = 0;

  constructor(private readonly deps: TranscodeWorkerDeps) {}

  start() {
    this.loop ??= this.run().catch((err) => this.deps.log.error({ err }, "transcode worker stopped"));
  }

  /** A job was queued: look for it now rather than at the next poll. */
  poke() {
    this.pokes++;
    this.wake?.();
  }

  /** Stops claiming; running jobs are aborted and handed back to the queue for another run. */
  async stop() {
    await this.halt("release");
  }

  /** As a crash: running jobs are killed and left claimed, to be taken over when their lease ends. */
  async abandon() {
    await this.halt("abandon");
  }

  private async halt(mode: Stop) {
    this.stopping ??= mode;
    this.wake?.();
    for (const job of this.running.values()) job.abort.abort();
    await Promise.all([...this.running.values()].map((j) => j.done));
    await this.loop;
  }

  private async run() {
    if (this.deps.soleWorker) {
      // If this fails the jobs are still claimed by a dead run; they come back when their lease ends.
      const requeued = await this.deps.tracks.requeueAllRunning().catch((err) => {
        this.deps.log.warn({ err }, "re-queueing interrupted transcodes failed");
        return 0;
      });
      if (requeued) this.deps.log.info({ requeued }, "resuming transcodes interrupted by the last stop");
    }
    while (!this.stopping) {
      const pokes = this.pokes;
      let claimed: ClaimedJob | null = null;
      if (this.running.size < this.deps.concurrency) {
        try {
          claimed = await this.deps.tracks.claimJob(this.deps.leaseMs);
        } catch (err) {
          this.deps.log.warn({ err }, "claiming a transcode job failed");
        }
      }
      if (claimed && !this.stopping) {
        this.launch(claimed);
        continue;
      }
      if (claimed) await this.deps.tracks.releaseJob(claimed).catch(() => {});
      // Sleep until poked, a job ends, or the poll interval passes; a poke that came while
      // claiming means there may be more to claim right away.
      if (this.pokes !== pokes) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.pollMs ?? DEFAULT_POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private launch(job: ClaimedJob) {
    const abort = new AbortController();
    const done = this.execute(job, abort)
      .catch((err) => this.deps.log.error({ err, trackId: job.trackId }, "transcode job crashed"))
      .finally(() => {
        this.running.delete(job.trackId);
        this.wake?.();
      });
    this.running.set(job.trackId, { abort, done });
  }

  private async execute(job: ClaimedJob, abort: AbortController) {
    const { tracks, blobs, transcoder, log, leaseMs } = this.deps;
    const trackId = job.trackId;
    let lost = false;
    // Renew well before the lease ends, so one slow renewal does not hand the job to another node.
    const heartbeat = setInterval(() => {
      tracks.renewJob(job, leaseMs).then(
        (held) => {
          if (!held) {
            lost = true;
            abort.abort();
          }
        },
        (err) => log.warn({ err, trackId }, "renewing a transcode lease failed"),
      );
    }, Math.max(250, Math.floor(leaseMs / 3)));
    const written: string[] = [];
    try {
      if (job.attempts > MAX_ATTEMPTS) {
        await this.fail(job, `transcoding was interrupted ${MAX_ATTEMPTS} times`);
        return;
      }
      const source = await readBlob(blobs, trackSourceKey(trackId));
      if (!source) {
        await this.fail(job, "the uploaded file is missing");
        return;
      }
      log.info({ trackId, attempt: job.attempts, bytes: source.length }, "transcoding");
      const out = await transcoder.toHls(source, { signal: abort.signal });
      if (abort.signal.aborted) throw new Error("aborted");
      // The playlist goes last: until it exists no segment it names can be missing.
      const ordered = [...out.files.filter((f) => f.name !== out.playlist), ...out.files.filter((f) => f.name === out.playlist)];
      for (const file of ordered) {
        await blobs.put(trackHlsKey(trackId, file.name), file.bytes);
        written.push(file.name);
      }
      if (await tracks.finishJob(job, { status: "ready", durationMs: out.durationMs, loudnessLufs: out.loudnessLufs })) {
        await blobs.delete(trackSourceKey(trackId)).catch(() => {});
        log.info({ trackId, durationMs: out.durationMs, segments: out.files.length - 1, loudnessLufs: out.loudnessLufs }, "track ready");
      }
    } catch (err) {
      if (err instanceof TranscodeFailed && !abort.signal.aborted) {
        await Promise.all(written.map((name) => blobs.delete(trackHlsKey(trackId, name)).catch(() => {})));
        await this.fail(job, err.message);
        return;
      }
      if (lost) {
        log.warn({ trackId }, "transcode lease lost to another node; dropped this run");
      } else if (this.stopping === "release") {
        await tracks.releaseJob(job).catch((e) => log.warn({ err: e, trackId }, "releasing a transcode job failed"));
      } else if (!this.stopping) {
        // Storage or database trouble: the claim is left to expire, and the next claim (here or
        // on another node) retries, up to MAX_ATTEMPTS.
        log.error({ err, trackId }, "transcode failed; retrying after the lease");
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async fail(job: ClaimedJob, error: string) {
    if (await this.deps.tracks.finishJob(job, { status: "failed", error })) {
      await this.deps.blobs.delete(trackSourceKey(job.trackId)).catch(() => {});
      this.deps.log.warn({ trackId: job.trackId, error }, "track failed");
    }
  }
}
