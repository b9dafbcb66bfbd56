import webpush from "web-push";
import type { PushOptions, PushResult, PushSender } from "../domain/ports/push-sender.js";
import type { PushSubscriptionRecord } from "../domain/ports/push-subscriptions.js";
import type { VapidKeys } from "../security/vapid-keys.js";

// A push service answers in well under a second; a hung one must not pile up requests.
const SEND_TIMEOUT_MS = 10_000;

/**
 * Web Push through the `web-push` library: it encrypts the payload (RFC 8291, aes128gcm) and
 * signs the VAPID JWT (RFC 8292); the request goes out with fetch, so an http:// stand-in for
 * the push service works too (the library's own sender speaks https only).
 */
export class WebPushSender implements PushSender {
  readonly publicKey: string;

  constructor(
    private readonly keys: VapidKeys,
    private readonly subject: string,
  ) {
    this.publicKey = keys.publicKey;
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
    try {
      const res = await fetch(request.endpoint, {
        method: request.method,
        headers: request.headers as Record<string, string>,
        body: request.body ?? undefined,
        redirect: "manual",
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      const text = await res.text().catch(() => "");
      if (res.status >= 200 && res.status < 300) return { ok: true };
      // RFC 8030: 404 and 410 mean the subscription expired or was unsubscribed.
      return { ok: false, gone: res.status === 404 || res.status === 410, status: res.status, message: text.slice(0, 200) };
    } catch (err) {
      return { ok: false, gone: false, status: null, message: (err as Error).message };
    }
  }
}
