import { listMessages, sendMessage, type MessageDeps } from "../../domain/messages.js";
import { IdParams } from "../../protocol/common.js";
import { MessageListQuery, MessagePageSchema, MessageReply, SendMessageBody } from "../../protocol/messages.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerMessageRoutes(kit: RouteKit, deps: MessageDeps) {
  const tag = "messages";

  defineRoute(
    kit,
    {
      method: "get",
      path: "/rooms/:id/messages",
      summary: "A page of history, ascending by seq: just before `before` (default newest) or just after `after`",
      tag,
      params: IdParams,
      query: MessageListQuery,
      responses: { 200: { description: "Messages", schema: MessagePageSchema } },
    },
    async ({ auth, params, query }) => ({ status: 200, body: await listMessages(deps, auth.userId, params.id, query) }),
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms/:id/messages",
      summary: "Send a message (201); the same clientMsgId again returns the original (200)",
      tag,
      params: IdParams,
      body: SendMessageBody,
      responses: { 201: { description: "Stored", schema: MessageReply }, 200: { description: "Already stored", schema: MessageReply } },
    },
    async ({ auth, params, body }) => {
      const { message, created } = await sendMessage(deps, auth.userId, { roomId: params.id, ...body });
      return { status: created ? 201 : 200, body: { message } };
    },
  );
}
