// Group commit: many concurrent callers, few transactions. Submissions queue up; up to
// `maxInFlight` commits run at once, each taking everything queued (up to `maxBatch`) that does
// not belong to a lane (e.g. a room) an in-flight commit already holds. So:
// - under light load a submission commits at once, alone (no timer, no added latency);
// - under heavy load batches grow by themselves, and one commit (one fsync) acknowledges many;
// - two commits of this process never touch the same lane, so they never wait on each other's
//   row locks and really run in parallel; a lane's items commit in submission order.
// Each submission resolves only after the commit that holds it has finished. A failed commit is
// retried as two halves, in order, recursively: what can commit does, and a failing item ends
// up alone and fails with its own error (log2(batch) extra commits, not one per item).

import { context, SpanStatusCode, trace, TraceFlags, type Context, type Link, type Span, type Tracer } from "@opentelemetry/api";

export interface GroupCommitOptions {
  maxInFlight: number;
  maxBatch: number;
  /** Told each commit's timings (metrics): how long its items waited, how long it took, its size. */
  observer?: CommitObserver;
}

export interface CommitObserver {
  /** Seconds from each item's submission to the start of its commit. */
  waited(seconds: number): void;
  /** One commit (a retried half counts as its own) of `size` items took `seconds`. */
  committed(seconds: number, size: number): void;
  /**
   * Tracing on: a span per commit. One commit serves many callers, so it is linked to the span
   * each item was submitted in; its parent is the first such span that is sampled, so a lone
   * append (the usual case under light load) reads as one tree with its commit.
   */
  tracer?: Tracer;
}

interface Queued<T, R> {
  item: T;
  /** performance.now() at submission. */
  at: number;
  /** The submitter's context, kept only when tracing. */
  ctx?: Context;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class GroupCommit<T, R> {
  private queue: Queued<T, R>[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];

  /** `commit` stores a batch atomically and returns one result per item, in order, or throws. */
  constructor(
    private readonly commit: (items: T[]) => Promise<R[]>,
    private readonly laneOf: (item: T) => string,
    private readonly options: GroupCommitOptions,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, at: performance.now(), ctx: this.options.observer?.tracer && context.active(), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After this turn's I/O callbacks, so submissions that arrive together share a batch.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Resolves once nothing is queued or in flight. */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((done) => this.idle.push(done));
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch: Queued<T, R>[] = [];
      const rest: Queued<T, R>[] = [];
      for (const q of this.queue) {
        if (batch.length < this.options.maxBatch && !this.busy.has(this.laneOf(q.item))) batch.push(q);
        else rest.push(q);
      }
      if (batch.length === 0) break;
      this.queue = rest;
      const lanes = new Set(batch.map((q) => this.laneOf(q.item)));
      for (const lane of lanes) this.busy.add(lane);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        for (const lane of lanes) this.busy.delete(lane);
        this.pump();
      });
    }
    if (this.inFlight === 0 && this.queue.length === 0 && !this.scheduled) for (const done of this.idle.splice(0)) done();
  }

  private async run(batch: Queued<T, R>[]): Promise<void> {
    let results: R[];
    const observer = this.options.observer;
    const start = performance.now();
    if (observer) for (const q of batch) observer.waited((start - q.at) / 1000);
    const span = observer?.tracer && commitSpan(observer.tracer, batch);
    try {
      const items = batch.map((q) => q.item);
      // In the span, so the batch's database calls are its children.
      results = await (span ? context.with(trace.setSpan(context.active(), span), () => this.commit(items)) : this.commit(items));
      observer?.committed((performance.now() - start) / 1000, batch.length);
      span?.end();
    } catch (error) {
      if (span) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: batch.length > 1 ? "retried as two halves" : "failed" });
        span.end();
      }
      if (batch.length === 1) return batch[0]!.reject(error);
      const half = Math.ceil(batch.length / 2);
      await this.run(batch.slice(0, half));
      await this.run(batch.slice(half));
      return;
    }
    batch.forEach((q, i) => q.resolve(results[i]!));
  }
}

function commitSpan(tracer: Tracer, batch: readonly { ctx?: Context }[]): Span {
  const links: Link[] = [];
  let parent: Context | undefined;
  for (const q of batch) {
    const linked = q.ctx && trace.getSpanContext(q.ctx);
    // An unsampled span is never exported: a link to it would point at nothing.
    if (!linked || !(linked.traceFlags & TraceFlags.SAMPLED)) continue;
    links.push({ context: linked });
    parent ??= q.ctx;
  }
  return tracer.startSpan(
    "messages commit",
    { links, attributes: { "chat.commit.size": batch.length } },
    parent ?? batch[0]?.ctx ?? context.active(),
  );
}
