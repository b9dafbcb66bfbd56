import { listMessages, sendMessage, type MessageDeps } from "../../domain/messages.js";
import { listReplies } from "../../domain/replies.js";
import { listChanges } from "../../domain/timeline.js";
import { IdParams } from "../../protocol/common.js";
import {
  ChangesPageSchema, ChangesQuery, MessageListQuery, MessagePageSchema, MessageParams, MessageReply, RepliesQuery, SendMessageBody,
} from "../../protocol/messages.js";
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

  defineRoute(
    kit,
    {
      method: "get",
      path: "/rooms/:id/changes",
      summary: "Every message changed or sent after afterRev, ascending by rev; continue from `rev`",
      tag,
      params: IdParams,
      query: ChangesQuery,
      responses: { 200: { description: "Changes", schema: ChangesPageSchema } },
    },
    async ({ auth, params, query }) => ({ status: 200, body: await listChanges(deps, auth.userId, params.id, query) }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/rooms/:id/messages/:seq/replies",
      summary: "The replies to a message, ascending by seq, after `after`",
      tag,
      params: MessageParams,
      query: RepliesQuery,
      responses: { 200: { description: "Replies", schema: MessagePageSchema } },
    },
    async ({ auth, params, query }) => ({ status: 200, body: await listReplies(deps, auth.userId, params.id, params.seq, query) }),
  );
}
