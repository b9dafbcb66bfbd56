import type { Request } from "express";
import {
  createIncomingWebhook,
  createOutgoingWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  postToIncomingWebhook,
  type WebhookDeps,
} from "../../domain/webhooks.js";
import { IdParams } from "../../protocol/common.js";
import { MessageReply } from "../../protocol/messages.js";
import { CreatedWebhookReply, CreateWebhookBody, DeliveriesQuery, DeliveriesReply, HookParams, IncomingHookBody, WebhookParams, WebhooksReply } from "../../protocol/webhooks.js";
import { defineRoute, type RouteKit } from "../route.js";

/** The incoming hook's URL as the caller reached this node (behind a proxy, as `trust proxy` reads it). */
const absolute = (req: Request, path: string) => `${req.protocol}://${req.get("host") ?? "localhost"}${path}`;

/**
 * POST / GET /api/rooms/:id/webhooks, DELETE /api/rooms/:id/webhooks/:webhookId,
 * GET …/:webhookId/deliveries, and an incoming hook's POST /api/hooks/:token (docs/integrations.md).
 */
export function registerWebhookRoutes(kit: RouteKit, deps: WebhookDeps) {
  const tag = "webhooks";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms/:id/webhooks",
      summary: "Add a webhook to a group room (owner and admins): incoming (its URL, shown once) or outgoing (its signing secret, shown once)",
      tag,
      params: IdParams,
      body: CreateWebhookBody,
      responses: { 201: { description: "The webhook, with its URL (incoming) or its secret (outgoing)", schema: CreatedWebhookReply } },
    },
    async ({ auth, params, body, req }) => {
      if (body.kind === "incoming") {
        const { webhook } = await createIncomingWebhook(deps, auth.userId, params.id, { name: body.name });
        return { status: 201, body: { webhook: { ...webhook, url: absolute(req, webhook.url) } } };
      }
      return { status: 201, body: await createOutgoingWebhook(deps, auth.userId, params.id, body) };
    },
  );

  defineRoute(
    kit,
    { method: "get", path: "/rooms/:id/webhooks", summary: "The room's webhooks, oldest first (owner and admins; never a URL or secret)", tag, params: IdParams, responses: { 200: { description: "Webhooks", schema: WebhooksReply } } },
    async ({ auth, params }) => ({ status: 200, body: { webhooks: await listWebhooks(deps, auth.userId, params.id) } }),
  );

  defineRoute(
    kit,
    {
      method: "delete",
      path: "/rooms/:id/webhooks/:webhookId",
      summary: "Delete a webhook: deliveries stop, an incoming hook's URL answers 404 and its user leaves the room",
      tag,
      params: WebhookParams,
      responses: { 204: { description: "Deleted" } },
    },
    async ({ auth, params }) => {
      await deleteWebhook(deps, auth.userId, params.id, params.webhookId);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/rooms/:id/webhooks/:webhookId/deliveries",
      summary: "An outgoing webhook's latest delivery attempts, newest first (owner and admins)",
      tag,
      params: WebhookParams,
      query: DeliveriesQuery,
      responses: { 200: { description: "Attempts", schema: DeliveriesReply } },
    },
    async ({ auth, params, query }) => ({ status: 200, body: { deliveries: await listDeliveries(deps, auth.userId, params.id, params.webhookId, query.limit) } }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/hooks/:token",
      summary: "Post a message to a room through its incoming webhook (the URL is the credential; rate limited per webhook)",
      tag,
      auth: false,
      params: HookParams,
      body: IncomingHookBody,
      responses: {
        201: { description: "The message, sent as the webhook's user", schema: MessageReply },
        200: { description: "The message already posted with this clientMsgId", schema: MessageReply },
      },
    },
    async ({ params, body }) => {
      const { message, created } = await postToIncomingWebhook(deps, params.token, body);
      return { status: created ? 201 : 200, body: { message } };
    },
  );
}
