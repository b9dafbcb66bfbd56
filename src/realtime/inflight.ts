/** Counts handlers still running, so a draining node can wait for their acks before closing sockets. */
export class Inflight {
  private count = 0;
  private waiters: (() => void)[] = [];
  private readonly running = new Set<Promise<unknown>>();

  track<T>(work: Promise<T>): Promise<T> {
    this.count++;
    this.running.add(work);
    return work.finally(() => {
      this.running.delete(work);
      if (--this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /**
   * Resolves once every handler running now has finished and sent its ack (one macrotask later);
   * handlers started afterwards are not waited for. Under steady traffic `idle()` may never come.
   */
  settled(): Promise<void> {
    return Promise.allSettled([...this.running]).then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
