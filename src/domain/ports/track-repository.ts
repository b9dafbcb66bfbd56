export type TrackStatus = "processing" | "ready" | "failed";

export interface TrackRecord {
  id: string;
  ownerId: string;
  title: string;
  artist: string | null;
  status: TrackStatus;
  durationMs: number | null;
  loudnessLufs: number | null;
  error: string | null;
  createdAt: Date;
}

/** One claim of a queued transcode: the token proves the claim is still this worker's. */
export interface ClaimedJob {
  trackId: string;
  claimToken: string;
  attempts: number;
}

export interface TrackRepository {
  /** Creates the track and its queued transcode job in one transaction. */
  createWithJob(track: { id: string; ownerId: string; title: string; artist: string | null }): Promise<TrackRecord>;
  find(id: string): Promise<TrackRecord | null>;
  findMany(ids: string[]): Promise<TrackRecord[]>;
  /** Newest first; `before` is a track id from the previous page. */
  list(opts: { limit: number; before?: string; ownerId?: string }): Promise<TrackRecord[]>;
  /** Deletes a track whose upload could not be completed (its job goes with it). */
  remove(id: string): Promise<void>;

  /**
   * Claims the oldest queued job, or a running one whose lease ran out (its node died), for
   * `leaseMs`. Several nodes may call this at once: each job goes to one of them.
   */
  claimJob(leaseMs: number): Promise<ClaimedJob | null>;
  /** Extends the lease; false when the claim was lost (another worker took the job over). */
  renewJob(job: ClaimedJob, leaseMs: number): Promise<boolean>;
  /** Hands the job back to the queue at once (the node is stopping). */
  releaseJob(job: ClaimedJob): Promise<void>;
  /** Ends the job and sets the track's final state, only while the claim holds; false otherwise. */
  finishJob(job: ClaimedJob, outcome: { status: "ready"; durationMs: number; loudnessLufs: number | null } | { status: "failed"; error: string }): Promise<boolean>;
  /** Every running job goes back to the queue: only for a database no other process uses (embedded). */
  requeueAllRunning(): Promise<number>;
}
