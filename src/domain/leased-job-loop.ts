export interface WorkerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * A durable queue whose claims are leases held in the database: any node may run any job, a job
 * runs on one node at a time, and a job whose node died is claimed again once its lease runs out.
 */
export interface LeasedQueue<J> {
  /** The next job no live lease holds, claimed for `leaseMs`; null when there is none. */
  claim(leaseMs: number): Promise<J | null>;
  /** Extends the lease; false when the claim was lost (taken over, or the job is gone). */
  renew(job: J, leaseMs: number): Promise<boolean>;
  /** Hands the job back at once (the node is stopping). */
  release(job: J): Promise<void>;
  /** Drops every claim: only for a database no other process uses (embedded). */
  requeueAll(): Promise<number>;
}

/** The log lines of a loop, worded for its jobs: operators search for these texts. */
export interface LeasedJobMessages {
  stopped: string;
  requeueFailed: string;
  requeued: string;
  claimFailed: string;
  renewFailed: string;
  leaseLost: string;
  releaseFailed: string;
  retrying: string;
  crashed: string;
}

export interface LeasedJobLoopOptions {
  log: WorkerLog;
  /** Jobs this node runs at once. */
  concurrency: number;
  /** A claim lasts this long unless renewed. */
  leaseMs: number;
  /** True when no other process can be using the database: every claim left is a dead run's. */
  soleWorker: boolean;
  /** Other nodes' jobs are found by polling this often (a poke wakes the loop at once). */
  pollMs?: number;
}

const DEFAULT_POLL_MS = 5_000;

type Stop = "release" | "abandon";

/**
 * Claims jobs from a leased queue and runs them, up to `concurrency` at once, until stopped. A
 * worker extends it with what its jobs are; the loop owns the leases: their renewal while a job
 * runs, and what becomes of a job whose run is cut short.
 */
export abstract class LeasedJobLoop<J> {
  private readonly running = new Set<{ abort: AbortController; done: Promise<void> }>();
  private stopping: Stop | null = null;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private pokes = 0;

  constructor(
    private readonly queue: LeasedQueue<J>,
    private readonly messages: LeasedJobMessages,
    private readonly options: LeasedJobLoopOptions,
  ) {}

  /**
   * Runs one claimed job to its end, final failures included (the job's own, settled in the
   * queue). A throw means the run was cut short: the loop then drops it if the lease was lost,
   * hands the job back if the loop is stopping, and otherwise leaves it claimed to be retried
   * once the lease runs out. The signal aborts when the lease is lost or the loop stops.
   */
  protected abstract process(job: J, signal: AbortSignal): Promise<void>;

  /** The fields that name a job in log lines. */
  protected abstract describe(job: J): object;

  /** The worker's own chores, done before each claim (not while every slot is busy); a throw ends the loop. */
  protected async beforeClaim(): Promise<void> {}

  start() {
    this.loop ??= this.run().catch((err) => this.options.log.error({ err }, this.messages.stopped));
  }

  /** A job was queued: look for it now rather than at the next poll. */
  poke() {
    this.pokes++;
    this.wake?.();
  }

  /** Stops claiming; running jobs are aborted and handed back to the queue. */
  async stop() {
    await this.halt("release");
  }

  /** As a crash: running jobs are dropped and left claimed, to be taken over when their lease ends. */
  async abandon() {
    await this.halt("abandon");
  }

  private async halt(mode: Stop) {
    this.stopping ??= mode;
    this.wake?.();
    for (const job of this.running) job.abort.abort();
    await Promise.all([...this.running].map((j) => j.done));
    await this.loop;
  }

  private async run() {
    const { queue, messages } = this;
    const { log } = this.options;
    if (this.options.soleWorker) {
      // If this fails the jobs are still claimed by a dead run; they come back when their lease ends.
      const requeued = await queue.requeueAll().catch((err) => {
        log.warn({ err }, messages.requeueFailed);
        return 0;
      });
      if (requeued) log.info({ requeued }, messages.requeued);
    }
    while (!this.stopping) {
      const pokes = this.pokes;
      let claimed: J | null = null;
      if (this.running.size < this.options.concurrency) {
        await this.beforeClaim();
        try {
          claimed = await queue.claim(this.options.leaseMs);
        } catch (err) {
          log.warn({ err }, messages.claimFailed);
        }
      }
      if (claimed && !this.stopping) {
        this.launch(claimed);
        continue;
      }
      if (claimed) await queue.release(claimed).catch(() => {});
      // Sleep until poked, a job ends, or the poll interval passes; a poke that came while
      // claiming means there may be more to claim right away, and a stop that came meanwhile
      // found no sleep to cut short, so it is seen here (else it waited out a whole poll).
      if (this.pokes !== pokes || this.stopping) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? DEFAULT_POLL_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  private launch(job: J) {
    const abort = new AbortController();
    const entry = { abort, done: Promise.resolve() };
    entry.done = this.runJob(job, abort)
      .catch((err) => this.options.log.error({ err, ...this.describe(job) }, this.messages.crashed))
      .finally(() => {
        this.running.delete(entry);
        this.wake?.();
      });
    this.running.add(entry);
  }

  private async runJob(job: J, abort: AbortController) {
    const { queue, messages } = this;
    const { log, leaseMs } = this.options;
    const named = this.describe(job);
    let lost = false;
    // Renewed well before the lease ends, so one slow renewal does not hand the job to another node.
    const heartbeat = setInterval(() => {
      queue.renew(job, leaseMs).then(
        (held) => {
          if (!held) {
            lost = true;
            abort.abort();
          }
        },
        (err) => log.warn({ err, ...named }, messages.renewFailed),
      );
    }, Math.max(250, Math.floor(leaseMs / 3)));
    try {
      await this.process(job, abort.signal);
    } catch (err) {
      if (lost) {
        log.warn(named, messages.leaseLost);
      } else if (this.stopping === "release") {
        await queue.release(job).catch((e) => log.warn({ err: e, ...named }, messages.releaseFailed));
      } else if (!this.stopping) {
        // Storage or database trouble: the claim is left to expire and the next claim (here or
        // on another node) retries, up to the worker's limit of attempts.
        log.error({ err, ...named }, messages.retrying);
      }
    } finally {
      clearInterval(heartbeat);
    }
  }
}
