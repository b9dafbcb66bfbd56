/**
 * Durable timers for outgoing webhooks' retries (src/store/pg-boss-webhook-scheduler.ts): a retry
 * scheduled on one node runs on whichever node is up when it is due, after restarts too.
 */
export interface WebhookRetryScheduler {
  /** Starts running due retries with `run`. */
  start(run: (webhookId: string) => Promise<void>): Promise<void>;
  /** Runs `run(webhookId)` at `at` (or soon after), once, on some node. */
  schedule(webhookId: string, at: Date): Promise<void>;
  /** Stops taking retries; those running finish. */
  stop(): Promise<void>;
}
