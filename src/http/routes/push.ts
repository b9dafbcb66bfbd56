import { z } from "zod";
import { listPushSubscriptions, PUSH_ENDPOINT_MAX, subscribePush, unsubscribePush, vapidPublicKey, type PushDeps } from "../../domain/push.js";
import { IdParams } from "../api-schemas.js";
import { defineRoute, type RouteKit } from "../route.js";

const SubscriptionSchema = z.object({ id: z.string(), endpoint: z.string(), createdAt: z.string() }).meta({ id: "PushSubscription" });

// PushSubscription.toJSON() of the browser, posted as it is (expirationTime is accepted and ignored).
const SubscribeBody = z.strictObject({
  endpoint: z.string().min(1).max(PUSH_ENDPOINT_MAX),
  keys: z.strictObject({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
  expirationTime: z.number().nullable().optional(),
});

export function registerPushRoutes(kit: RouteKit, deps: PushDeps) {
  const tag = "push";

  defineRoute(
    kit,
    {
      method: "get",
      path: "/push/vapid-public-key",
      summary: "The VAPID application server key (base64url) to subscribe with",
      tag,
      auth: false,
      responses: { 200: { description: "Key", schema: z.object({ key: z.string() }) } },
    },
    async () => ({ status: 200, body: { key: vapidPublicKey(deps) } }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/push/subscriptions",
      summary: "Register this device's push subscription (the same endpoint again replaces it)",
      tag,
      body: SubscribeBody,
      responses: { 201: { description: "Registered", schema: z.object({ subscription: SubscriptionSchema }) } },
    },
    async ({ auth, body }) => ({ status: 201, body: { subscription: await subscribePush(deps, auth.userId, body) } }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/push/subscriptions",
      summary: "The caller's push subscriptions",
      tag,
      responses: { 200: { description: "Subscriptions", schema: z.object({ subscriptions: z.array(SubscriptionSchema) }) } },
    },
    async ({ auth }) => ({ status: 200, body: { subscriptions: await listPushSubscriptions(deps, auth.userId) } }),
  );

  defineRoute(
    kit,
    { method: "delete", path: "/push/subscriptions/:id", summary: "Remove one of the caller's push subscriptions", tag, params: IdParams, responses: { 204: { description: "Removed" } } },
    async ({ auth, params }) => {
      await unsubscribePush(deps, auth.userId, params.id);
      return { status: 204 };
    },
  );
}
