import { LeasedJobLoop, type LeasedJobMessages, type LeasedQueue, type WorkerLog } from "./leased-job-loop.js";
import { TranscodeFailed, type AudioTranscoder } from "./ports/audio-transcoder.js";
import type { BlobStorage } from "./ports/blob-storage.js";
import type { ClaimedJob, TrackRepository } from "./ports/track-repository.js";
import { readBlob, trackHlsKey, trackSourceKey } from "./tracks.js";

// Kept importable from here, where it was first declared.
export type { WorkerLog } from "./leased-job-loop.js";

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

const LOG_LINES: LeasedJobMessages = {
  stopped: "transcode worker stopped",
  requeueFailed: "re-queueing interrupted transcodes failed",
  requeued: "resuming transcodes interrupted by the last stop",
  claimFailed: "claiming a transcode job failed",
  renewFailed: "renewing a transcode lease failed",
  leaseLost: "transcode lease lost to another node; dropped this run",
  releaseFailed: "releasing a transcode job failed",
  retrying: "transcode failed; retrying after the lease",
  crashed: "transcode job crashed",
};

function transcodeQueue(tracks: TrackRepository): LeasedQueue<ClaimedJob> {
  return {
    claim: (leaseMs) => tracks.claimJob(leaseMs),
    renew: (job, leaseMs) => tracks.renewJob(job, leaseMs),
    release: (job) => tracks.releaseJob(job),
    requeueAll: () => tracks.requeueAllRunning(),
  };
}

/**
 * Runs the durable transcode queue (docs/media.md). Claims are leases in the database, so any
 * node may run any job, a job runs on one node at a time, and a job whose node died is picked up
 * again by whichever node next finds its lease expired (at once after a restart on the embedded
 * database; after at most one lease on PostgreSQL).
 */
export class TranscodeWorker extends LeasedJobLoop<ClaimedJob> {
  constructor(private readonly deps: TranscodeWorkerDeps) {
    super(transcodeQueue(deps.tracks), LOG_LINES, deps);
  }

  protected override describe(job: ClaimedJob) {
    return { trackId: job.trackId };
  }

  protected override async process(job: ClaimedJob, signal: AbortSignal) {
    const { tracks, blobs, transcoder, log } = this.deps;
    const trackId = job.trackId;
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
      const out = await transcoder.toHls(source, { signal });
      if (signal.aborted) throw new Error("aborted");
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
      // Audio ffmpeg cannot decode would fail the same way on every retry: the track fails now.
      if (err instanceof TranscodeFailed && !signal.aborted) {
        await Promise.all(written.map((name) => blobs.delete(trackHlsKey(trackId, name)).catch(() => {})));
        await this.fail(job, err.message);
        return;
      }
      throw err;
    }
  }

  private async fail(job: ClaimedJob, error: string) {
    if (await this.deps.tracks.finishJob(job, { status: "failed", error })) {
      await this.deps.blobs.delete(trackSourceKey(job.trackId)).catch(() => {});
      this.deps.log.warn({ trackId: job.trackId, error }, "track failed");
    }
  }
}
