/** Web Push subscriptions of a user's devices (docs/calls-and-push.md). */
import { Invalid, NotFound } from "./errors.js";
import type { PushSender } from "./ports/push-sender.js";
import type { PushSubscriptionRecord, PushSubscriptionRepository } from "./ports/push-subscriptions.js";
import type { PushSubscription } from "../protocol/push.js";

// A user's browsers and devices; the oldest beyond this are dropped (abandoned browsers rarely unsubscribe).
export const PUSH_SUBSCRIPTIONS_PER_USER = 20;

/**
 * Which hosts the server may post pushes to (public addresses only, unless a test allows its local
 * stand-in). Asked at subscribe time to refuse early; the sender checks again when it connects,
 * since what a name resolves to can change in between.
 */
export interface PushHostPolicy {
  /** False for a host that is, or resolves to, an address inside our network, or does not resolve. */
  allows(hostname: string): Promise<boolean>;
}

export interface PushDeps {
  pushSubscriptions: PushSubscriptionRepository;
  pushSender: PushSender;
  hostPolicy: PushHostPolicy;
  /** Accept http:// endpoints (a local stand-in for the push service); production push services are https. */
  allowHttpEndpoints: boolean;
}

/** The contract's subscription (src/protocol/push.ts): never its keys. */
export type PushSubscriptionView = PushSubscription;

const view = (s: PushSubscriptionRecord): PushSubscriptionView => ({ id: s.id, endpoint: s.endpoint, createdAt: s.createdAt.toISOString() });

function decodedLength(base64url: string): number | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(base64url)) return null;
  return Buffer.from(base64url, "base64url").length;
}

function checkEndpoint(endpoint: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Invalid("endpoint is not a URL", [{ path: "endpoint", message: "must be a URL" }]);
  }
  // The server POSTs to this URL: only push services' https, and no credentials smuggled in it.
  const okProtocol = url.protocol === "https:" || (allowHttp && url.protocol === "http:");
  if (!okProtocol) throw new Invalid("endpoint must be https", [{ path: "endpoint", message: "must be an https URL" }]);
  if (url.username || url.password) throw new Invalid("endpoint carries credentials", [{ path: "endpoint", message: "must not carry credentials" }]);
  return url;
}

export async function subscribePush(
  deps: PushDeps,
  userId: string,
  input: { endpoint: string; keys: { p256dh: string; auth: string } },
): Promise<PushSubscriptionView> {
  const url = checkEndpoint(input.endpoint, deps.allowHttpEndpoints);
  // RFC 8291: an uncompressed P-256 point and a 16-byte auth secret; anything else cannot be encrypted for.
  if (decodedLength(input.keys.p256dh) !== 65 || !Buffer.from(input.keys.p256dh, "base64url").subarray(0, 1).equals(Buffer.from([4]))) {
    throw new Invalid("keys.p256dh is not a P-256 public key", [{ path: "keys.p256dh", message: "must be 65 bytes, base64url" }]);
  }
  if (decodedLength(input.keys.auth) !== 16) throw new Invalid("keys.auth is not 16 bytes", [{ path: "keys.auth", message: "must be 16 bytes, base64url" }]);
  // Last, as it may cost a DNS lookup. One answer for private and unresolvable alike, so the API
  // does not tell a caller which internal names exist.
  if (!(await deps.hostPolicy.allows(url.hostname))) {
    throw new Invalid("endpoint is not a public address", [{ path: "endpoint", message: "must resolve to public addresses only (not loopback, private, link-local or reserved)" }]);
  }
  const saved = await deps.pushSubscriptions.save(userId, { endpoint: input.endpoint, p256dh: input.keys.p256dh, auth: input.keys.auth }, PUSH_SUBSCRIPTIONS_PER_USER);
  return view(saved);
}

export async function listPushSubscriptions(deps: PushDeps, userId: string): Promise<PushSubscriptionView[]> {
  return (await deps.pushSubscriptions.list(userId)).map(view);
}

export async function unsubscribePush(deps: PushDeps, userId: string, id: string): Promise<void> {
  if (!(await deps.pushSubscriptions.remove(userId, id))) throw new NotFound("no such push subscription");
}

export function vapidPublicKey(deps: Pick<PushDeps, "pushSender">): string {
  return deps.pushSender.publicKey;
}
