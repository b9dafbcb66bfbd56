import { Unavailable } from "../domain/errors.js";
import type { WebhookHostPolicy, WebhookSender } from "../domain/ports/webhook-sender.js";
import { OutboundHttp } from "../security/outbound-http.js";
import type { ResolveAll } from "../security/public-address.js";

// PROTOCOL.md: an attempt that has no answer within 10 s failed, and is retried.
const ATTEMPT_TIMEOUT_MS = 10_000;

export interface HttpWebhookSenderOptions {
  /** Post to loopback and private addresses too (tests with a local receiver); never in production. */
  allowPrivateTargets: boolean;
  /** How host names resolve; default the system resolver (dns.lookup). */
  resolve?: ResolveAll;
}

/**
 * Outgoing webhooks' POSTs through OutboundHttp (src/security/outbound-http.ts), as push sends
 * (web-push-sender.ts): no redirect followed, the target's addresses checked when it is dialled.
 */
export class HttpWebhookSender implements WebhookSender, WebhookHostPolicy {
  private readonly http: OutboundHttp;

  constructor(opts: HttpWebhookSenderOptions) {
    this.http = new OutboundHttp({ allowPrivate: opts.allowPrivateTargets, resolve: opts.resolve, timeoutMs: ATTEMPT_TIMEOUT_MS });
  }

  async allows(hostname: string): Promise<boolean> {
    try {
      return await this.http.allows(hostname);
    } catch {
      throw new Unavailable("could not resolve the target's host; try again");
    }
  }

  async post(targetUrl: string, body: string, headers: Record<string, string>): Promise<{ status: number | null; error: string | null; durationMs: number }> {
    const started = performance.now();
    const done = (status: number | null, error: string | null) => ({ status, error, durationMs: Math.round(performance.now() - started) });
    let url: URL;
    try {
      url = new URL(targetUrl);
    } catch {
      return done(null, "the target is not a URL");
    }
    const refused = this.http.refusedLiteral(url);
    if (refused) return done(null, refused);
    try {
      const res = await this.http.request(url, { method: "POST", headers, body });
      return done(res.status, res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}${res.text ? `: ${res.text}` : ""}`);
    } catch (err) {
      const e = err as Error;
      return done(null, e.name === "TimeoutError" || e.name === "AbortError" ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : e.message);
    }
  }

  close(): void {
    this.http.close();
  }
}
