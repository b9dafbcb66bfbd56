/** POSTs an outgoing webhook's event to its target (src/store/http-webhook-sender.ts). */
export interface WebhookSender {
  /**
   * One attempt, no redirect followed, bounded in time. Never throws: a refused address, a
   * timeout or a broken connection is `status: null` with the reason in `error`.
   */
  post(targetUrl: string, body: string, headers: Record<string, string>): Promise<{ status: number | null; error: string | null; durationMs: number }>;
}

/**
 * Which hosts an outgoing webhook may target (public addresses only, unless a test allows its
 * local receiver). Asked when the webhook is made; the sender checks again the address it dials.
 */
export interface WebhookHostPolicy {
  /** False for a host that is, or resolves to, an address inside our network, or does not resolve. */
  allows(hostname: string): Promise<boolean>;
}
