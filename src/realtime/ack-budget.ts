/**
 * How many socket handlers may run at once on this node. Past it, a request is refused at once
 * with UNAVAILABLE (the client retries; a message:send with the same clientMsgId is idempotent)
 * instead of joining queues that only grow: an overloaded node otherwise keeps accepting work
 * until its acks time out and its heap runs out (seen: 4 GB and SIGABRT at twice the rate one node
 * could carry). Accepted work keeps a bounded wait.
 */
export class AckBudget {
  private running = 0;

  constructor(readonly limit: number) {}

  /** Takes a slot, or returns false when all are taken. */
  tryEnter(): boolean {
    if (this.running >= this.limit) return false;
    this.running++;
    return true;
  }

  leave(): void {
    this.running--;
  }
}
