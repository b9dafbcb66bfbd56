/**
 * A room's webhooks (PROTOCOL.md, "Integrations"; docs/integrations.md), made, listed and deleted
 * by the room's owner and admins (room-ranks.ts: a non-member gets NOT_FOUND, a member FORBIDDEN).
 *
 * Incoming: a URL with a secret in it; POSTing { text, clientMsgId? } there sends a message through
 * the one send path (messages.ts: broadcast, feed, push, search, mentions), as a user made for the
 * webhook and made a member of the room with the role "webhook". Its secret is random (256 bits),
 * so only its SHA-256 is kept. Deleting the webhook takes its user out of the room; the user stays,
 * so its messages keep their sender.
 *
 * Outgoing: the room's events POSTed to a target, signed with a secret shown once
 * (webhook-delivery.ts delivers them). The target must be http(s), https unless plain http is
 * allowed, carry no credentials, and resolve to public addresses only unless private ones are
 * allowed (a test's local receiver): the sender checks again the address it dials.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { DISPLAY_NAME_MAX } from "../protocol/limits.js";
import type { WebhookEventType } from "../protocol/webhooks.js";
import { Conflict, Invalid, NotFound } from "./errors.js";
import type { Message } from "./message.js";
import { sendMessage, type MessageDeps } from "./messages.js";
import type { RateLimiter } from "./ports/rate-limiter.js";
import type { WebhookHostPolicy } from "./ports/webhook-sender.js";
import type { DeliveryRecord, WebhookRecord, WebhookStore } from "./ports/webhook-store.js";
import { requireModerator } from "./room-ranks.js";
import { removeFromRoom } from "./rooms.js";

export interface WebhookDeps extends MessageDeps {
  webhooks: WebhookStore;
  hostPolicy: WebhookHostPolicy;
  /** Accept http:// targets (a local receiver in tests); production targets are https. */
  allowHttpTargets: boolean;
  /** Posts to one incoming webhook (its id is the key). */
  incomingLimiter: RateLimiter;
}

/** Webhooks one room may have; past it, CONFLICT. */
export const WEBHOOKS_PER_ROOM_MAX = 20;

// 32 random bytes (256 bits): far beyond guessing, so a fast unsalted SHA-256 is the right store.
// The prefixes tell an incoming hook's token and an outgoing hook's signing key at a glance.
const HOOK_TOKEN_PREFIX = "wh_";
const HOOK_TOKEN_PATTERN = /^wh_[A-Za-z0-9_-]{43}$/;
const SIGNING_SECRET_PREFIX = "whsec_";

// Not a bcrypt hash: no password verifies against it, so a webhook's user can never log in.
const UNUSABLE_PASSWORD_HASH = "!webhook: no password";
// `.invalid` never resolves (RFC 2606), and the UUID keeps it unique.
const webhookEmail = () => `webhook-${randomUUID()}@webhooks.invalid`;

export const hashHookToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");
/** The path of an incoming hook; the door prefixes the origin it was reached at. */
export const hookPath = (token: string) => `/api/hooks/${token}`;

export interface WebhookView {
  id: string;
  kind: "incoming" | "outgoing";
  roomId: string;
  createdBy: string;
  createdAt: string;
  userId?: string;
  name?: string;
  targetUrl?: string;
  events?: WebhookEventType[];
  failures?: number;
  nextAttemptAt?: string | null;
}

export function viewWebhook(w: WebhookRecord): WebhookView {
  const base = { id: w.id, kind: w.kind, roomId: w.roomId, createdBy: w.createdById, createdAt: w.createdAt.toISOString() };
  if (w.kind === "incoming") return { ...base, userId: w.userId ?? undefined, name: w.name ?? undefined };
  return { ...base, targetUrl: w.targetUrl ?? undefined, events: w.events, failures: w.failures, nextAttemptAt: w.retryAt?.toISOString() ?? null };
}

export const viewDelivery = (d: DeliveryRecord) => ({
  id: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  ok: d.ok,
  error: d.error,
  durationMs: d.durationMs,
  at: d.at.toISOString(),
});

function checkTarget(targetUrl: string, allowHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(targetUrl);
  } catch {
    throw new Invalid("targetUrl is not a URL", [{ path: "targetUrl", message: "must be a URL" }]);
  }
  const okProtocol = url.protocol === "https:" || (allowHttp && url.protocol === "http:");
  if (!okProtocol) throw new Invalid("targetUrl must be https", [{ path: "targetUrl", message: allowHttp ? "must be an http or https URL" : "must be an https URL" }]);
  if (url.username || url.password) throw new Invalid("targetUrl carries credentials", [{ path: "targetUrl", message: "must not carry credentials" }]);
  return url;
}

async function refuseOverLimit(deps: WebhookDeps, roomId: string): Promise<void> {
  if ((await deps.webhooks.list(roomId)).length >= WEBHOOKS_PER_ROOM_MAX) throw new Conflict(`a room may have at most ${WEBHOOKS_PER_ROOM_MAX} webhooks`);
}

export async function createIncomingWebhook(deps: WebhookDeps, actorId: string, roomId: string, input: { name?: string }): Promise<{ webhook: WebhookView & { url: string } }> {
  await requireModerator(deps, actorId, roomId);
  const name = input.name?.trim() || "Webhook";
  if (name.length > DISPLAY_NAME_MAX) throw new Invalid(`name must be 1–${DISPLAY_NAME_MAX} characters`, [{ path: "name", message: "must be a display name" }]);
  await refuseOverLimit(deps, roomId);
  const token = `${HOOK_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const record = await deps.webhooks.createIncoming({
    roomId,
    createdById: actorId,
    name,
    secretHash: hashHookToken(token),
    user: { email: webhookEmail(), passwordHash: UNUSABLE_PASSWORD_HASH, displayName: name },
  });
  return { webhook: { ...viewWebhook(record), url: hookPath(token) } };
}

export async function createOutgoingWebhook(
  deps: WebhookDeps,
  actorId: string,
  roomId: string,
  input: { targetUrl: string; events: WebhookEventType[] },
): Promise<{ webhook: WebhookView & { secret: string } }> {
  await requireModerator(deps, actorId, roomId);
  const url = checkTarget(input.targetUrl, deps.allowHttpTargets);
  // Last, as it may cost a DNS lookup. One answer for private and unresolvable alike, so the API
  // does not tell a caller which internal names exist.
  if (!(await deps.hostPolicy.allows(url.hostname))) {
    throw new Invalid("targetUrl is not a public address", [{ path: "targetUrl", message: "must resolve to public addresses only (not loopback, private, link-local or reserved)" }]);
  }
  await refuseOverLimit(deps, roomId);
  const secret = `${SIGNING_SECRET_PREFIX}${randomBytes(32).toString("base64url")}`;
  const head = (await deps.messages.heads([roomId])).get(roomId);
  const record = await deps.webhooks.createOutgoing({
    roomId,
    createdById: actorId,
    targetUrl: url.toString(),
    events: [...new Set(input.events)],
    secret,
    cursorRev: head?.rev ?? 0,
    cursorSeq: head?.lastSeq ?? 0,
  });
  return { webhook: { ...viewWebhook(record), secret } };
}

export async function listWebhooks(deps: WebhookDeps, actorId: string, roomId: string): Promise<WebhookView[]> {
  await requireModerator(deps, actorId, roomId);
  return (await deps.webhooks.list(roomId)).map(viewWebhook);
}

/** Deliveries stop at once (the next attempt finds no webhook); an incoming hook's URL is NOT_FOUND from now on. */
export async function deleteWebhook(deps: WebhookDeps, actorId: string, roomId: string, webhookId: string): Promise<void> {
  await requireModerator(deps, actorId, roomId);
  const removed = await deps.webhooks.remove(roomId, webhookId);
  if (!removed) throw new NotFound("no such webhook");
  if (removed.userId) await removeFromRoom(deps, roomId, removed.userId);
}

export async function listDeliveries(deps: WebhookDeps, actorId: string, roomId: string, webhookId: string, limit: number) {
  await requireModerator(deps, actorId, roomId);
  if (!(await deps.webhooks.find(roomId, webhookId))) throw new NotFound("no such webhook");
  return (await deps.webhooks.deliveries(webhookId, limit)).map(viewDelivery);
}

/**
 * POST <url>: the token is all the credentials there are. A deleted hook (or a token that never
 * was one) is NOT_FOUND; each hook is rate limited on its own; a repeated clientMsgId returns the
 * message already posted (created false), as a repeated send does.
 */
export async function postToIncomingWebhook(deps: WebhookDeps, token: string, input: { text: string; clientMsgId?: string }): Promise<{ message: Message; created: boolean }> {
  const hook = HOOK_TOKEN_PATTERN.test(token) ? await deps.webhooks.findIncoming(hashHookToken(token)) : null;
  if (!hook?.userId) throw new NotFound("no such webhook");
  await deps.incomingLimiter.consume(hook.id);
  return sendMessage(deps, hook.userId, { roomId: hook.roomId, clientMsgId: input.clientMsgId ?? randomUUID(), text: input.text });
}
