/**
 * Webhooks (PROTOCOL.md, "Integrations"; docs/integrations.md): POST / GET / DELETE
 * /api/rooms/:id/webhooks[/:webhookId], GET …/:webhookId/deliveries, and the incoming hook's own
 * POST /api/hooks/:token. An outgoing webhook's events are described here too (WebhookEventSchema):
 * they are what its target receives, not a route of ours.
 */
import { z } from "zod";
import { Id, PageLimit } from "./common.js";
import { DISPLAY_NAME_MAX } from "./limits.js";
import { ClientMsgId, MessageSchema, MessageText } from "./messages.js";

export const WEBHOOK_EVENT_TYPES = ["message.created", "message.updated", "reaction.updated", "member.joined", "member.left"] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.output<typeof WebhookEventType>;

/** A target URL's longest form: far beyond any real endpoint, short enough to keep in every row. */
export const WEBHOOK_URL_MAX = 2_000;

export const CreateWebhookBody = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("incoming"),
    /** The display name its messages are sent under (default "Webhook"). */
    name: z.string().max(DISPLAY_NAME_MAX).optional(),
  }),
  z.strictObject({
    kind: z.literal("outgoing"),
    /** Where each event is POSTed: https (http only where the server allows it), public addresses only. */
    targetUrl: z.string().min(1).max(WEBHOOK_URL_MAX),
    events: z.array(WebhookEventType).min(1).max(WEBHOOK_EVENT_TYPES.length),
  }),
]);

export const WebhookSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["incoming", "outgoing"]),
    roomId: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    /** Incoming: the user its messages are sent as, and that user's display name. */
    userId: z.string().optional(),
    name: z.string().optional(),
    /** Outgoing: the target, the events asked for, and the delivery state. */
    targetUrl: z.string().optional(),
    events: z.array(WebhookEventType).optional(),
    /** Failed attempts in a row at the head of the queue (0: delivering normally). */
    failures: z.number().int().optional(),
    /** When the failing event is tried again, or null. */
    nextAttemptAt: z.string().nullable().optional(),
  })
  .meta({ id: "Webhook" });

/** 201: an incoming webhook with its URL (the only time the URL's secret is shown). */
export const CreatedWebhookReply = z.object({
  webhook: WebhookSchema.extend({
    /** Incoming: POST { text, clientMsgId? } here, with no other credentials. */
    url: z.string().optional(),
    /** Outgoing: the HMAC-SHA256 key of X-Chat-Signature. */
    secret: z.string().optional(),
  }),
});
export const WebhooksReply = z.object({ webhooks: z.array(WebhookSchema) });

export const WebhookParams = z.object({ id: Id, webhookId: Id });

export const DeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    eventType: WebhookEventType,
    /** The target's HTTP status; null when none came (timeout, refused connection or address). */
    status: z.number().int().nullable(),
    ok: z.boolean(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    at: z.string(),
  })
  .meta({ id: "WebhookDelivery" });
export const DeliveriesQuery = z.object({ limit: PageLimit });
export const DeliveriesReply = z.object({ deliveries: z.array(DeliverySchema) });

/** An incoming hook's secret token, as its URL carries it (anything else is NOT_FOUND, as a deleted hook). */
export const HookParams = z.object({ token: z.string().max(200) });
export const IncomingHookBody = z.strictObject({
  text: MessageText,
  /** The idempotency key: the same one again returns the message already posted. */
  clientMsgId: ClientMsgId.optional(),
});

/** What an outgoing webhook's target receives, one event per POST (X-Chat-Event-Id is `id`). */
export const WebhookEventSchema = z
  .object({
    /** Stable across retries: the receiver dedupes by it. */
    id: z.string(),
    type: WebhookEventType,
    at: z.string(),
    roomId: z.string(),
    data: z.union([z.object({ message: MessageSchema }), z.object({ userId: z.string() })]),
  })
  .meta({ id: "WebhookEvent" });
export type WebhookEvent = z.output<typeof WebhookEventSchema>;
