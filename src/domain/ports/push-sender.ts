import type { PushSubscriptionRecord } from "./push-subscriptions.js";

export type PushResult = { ok: true } | { ok: false; gone: boolean; status: number | null; message: string };

export interface PushOptions {
  /** How long the push service keeps it for an offline device. */
  ttlSeconds: number;
  /** A newer push with the same topic replaces an undelivered older one (<= 32 base64url characters). */
  topic?: string;
}

/** Web Push (RFC 8030/8291/8292): encrypts the payload for the subscription and signs with VAPID. */
export interface PushSender {
  /** The VAPID application server key, base64url: the browser subscribes with it. */
  readonly publicKey: string;
  send(sub: PushSubscriptionRecord, payload: string, opts: PushOptions): Promise<PushResult>;
}
