import { listPushSubscriptions, subscribePush, unsubscribePush, vapidPublicKey, type PushDeps } from "../../domain/push.js";
import { IdParams } from "../../protocol/common.js";
import { SubscribeBody, SubscriptionReply, SubscriptionsReply, VapidKeyReply } from "../../protocol/push.js";
import { defineRoute, type RouteKit } from "../route.js";

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
      responses: { 200: { description: "Key", schema: VapidKeyReply } },
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
      responses: { 201: { description: "Registered", schema: SubscriptionReply } },
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
      responses: { 200: { description: "Subscriptions", schema: SubscriptionsReply } },
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
