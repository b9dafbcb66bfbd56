import webpush from "web-push";
import { Unavailable } from "../domain/errors.js";
import type { PushOptions, PushResult, PushSender } from "../domain/ports/push-sender.js";
import type { PushSubscriptionRecord } from "../domain/ports/push-subscriptions.js";
import type { PushHostPolicy } from "../domain/push.js";
import { OutboundHttp, type OutboundRequest } from "../security/outbound-http.js";
import type { ResolveAll } from "../security/public-address.js";
import type { VapidKeys } from "../security/vapid-keys.js";

// A push service answers in well under a second; a hung one must not pile up requests.
const SEND_TIMEOUT_MS = 10_000;

export interface WebPushSenderOptions {
  /** Post to loopback and private addresses too (tests with a local push-service stand-in); never in production. */
  allowPrivateEndpoints: boolean;
  /** How host names resolve; default the system resolver (dns.lookup). */
  resolve?: ResolveAll;
}

/**
 * Web Push through the `web-push` library: it encrypts the payload (RFC 8291, aes128gcm) and
 * signs the VAPID JWT (RFC 8292). The request goes out through OutboundHttp
 * (src/security/outbound-http.ts) rather than the library's sendNotification, which speaks https
 * only (an http:// stand-in for the push service works too); like it, no redirect is followed,
 * and unless private endpoints are allowed a non-public address is refused when dialled.
 */
export class WebPushSender implements PushSender, PushHostPolicy {
  readonly publicKey: string;
  private readonly http: OutboundHttp;

  constructor(
    private readonly keys: VapidKeys,
    private readonly subject: string,
    opts: WebPushSenderOptions = { allowPrivateEndpoints: false },
  ) {
    this.publicKey = keys.publicKey;
    this.http = new OutboundHttp({ allowPrivate: opts.allowPrivateEndpoints, resolve: opts.resolve, timeoutMs: SEND_TIMEOUT_MS });
  }

  async allows(hostname: string): Promise<boolean> {
    try {
      // A name that does not exist cannot be a push service; a resolver that fails may recover.
      return await this.http.allows(hostname);
    } catch {
      throw new Unavailable("could not resolve the push endpoint's host; try again");
    }
  }

  async send(sub: PushSubscriptionRecord, payload: string, opts: PushOptions): Promise<PushResult> {
    let request: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      request = webpush.generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload, {
        vapidDetails: { subject: this.subject, publicKey: this.keys.publicKey, privateKey: this.keys.privateKey },
        TTL: opts.ttlSeconds,
        contentEncoding: "aes128gcm",
        urgency: "normal",
        ...(opts.topic ? { topic: opts.topic } : {}),
      });
    } catch (err) {
      // Keys the library cannot encrypt for: this subscription can never receive anything.
      return { ok: false, gone: true, status: null, message: (err as Error).message };
    }
    const url = new URL(request.endpoint);
    const refused = this.http.refusedLiteral(url);
    // Not gone: the row may have been stored while private endpoints were allowed; it stays for an operator to see.
    if (refused) return { ok: false, gone: false, status: null, message: refused };
    try {
      const res = await this.http.request(url, { method: request.method, headers: request.headers as OutboundRequest["headers"], body: request.body });
      if (res.status >= 200 && res.status < 300) return { ok: true };
      // RFC 8030: 404 and 410 mean the subscription expired or was unsubscribed.
      return { ok: false, gone: res.status === 404 || res.status === 410, status: res.status, message: res.text };
    } catch (err) {
      return { ok: false, gone: false, status: null, message: (err as Error).message };
    }
  }
}
