/** Web Push subscriptions (PROTOCOL.md, "Calls, push, search"; docs/calls-and-push.md). */
import { z } from "zod";
import { PUSH_ENDPOINT_MAX } from "./limits.js";

export const PushSubscriptionSchema = z.object({ id: z.string(), endpoint: z.string(), createdAt: z.string() }).meta({ id: "PushSubscription" });

// PushSubscription.toJSON() of the browser, posted as it is (expirationTime is accepted and ignored).
export const SubscribeBody = z.strictObject({
  endpoint: z.string().min(1).max(PUSH_ENDPOINT_MAX),
  keys: z.strictObject({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
  expirationTime: z.number().nullable().optional(),
});

/** What the service worker receives in a push (web/src/sw.ts shows it): the latest of a burst, with the count. */
export const PushPayloadSchema = z
  .object({
    type: z.literal("message"),
    roomId: z.string(),
    seq: z.number().int(),
    count: z.number().int(),
    title: z.string(),
    body: z.string(),
    // Where a click on the notification leads.
    url: z.string(),
  })
  .meta({ id: "PushPayload" });

export const VapidKeyReply = z.object({ key: z.string() });
export const SubscriptionReply = z.object({ subscription: PushSubscriptionSchema });
export const SubscriptionsReply = z.object({ subscriptions: z.array(PushSubscriptionSchema) });

export type PushSubscription = z.output<typeof PushSubscriptionSchema>;
export type PushPayload = z.output<typeof PushPayloadSchema>;
