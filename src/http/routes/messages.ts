import { z } from "zod";
import { listMessages, sendMessage, type MessageDeps } from "../../domain/messages.js";
import { markRead } from "../../domain/rooms.js";
import { IdParams } from "../api-schemas.js";
import { defineRoute, type RouteKit } from "../route.js";
import { ClientMsgId, MessageText } from "../../protocol/fields.js";

export const MessageSchema = z
  .object({
    id: z.string(),
    roomId: z.string(),
    seq: z.number().int(),
    senderId: z.string(),
    type: z.enum(["text", "file", "system"]),
    text: z.string(),
    attachments: z.array(z.object({ id: z.string(), name: z.string(), size: z.number(), contentType: z.string(), url: z.string(), thumbnailUrl: z.string().optional() })),
    clientMsgId: z.string().nullable(),
    createdAt: z.string(),
    editedAt: z.string().optional(),
    deletedAt: z.string().optional(),
  })
  .meta({ id: "Message" });

const SeqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

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
      query: z.object({ before: SeqParam.optional(), after: SeqParam.optional(), limit: z.coerce.number().int().min(1).max(100).default(50) }),
      responses: { 200: { description: "Messages", schema: z.object({ messages: z.array(MessageSchema), hasMore: z.boolean() }) } },
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
      body: z.strictObject({ clientMsgId: ClientMsgId, text: MessageText.default(""), attachmentIds: z.array(z.string().min(1).max(64)).max(10).optional() }),
      responses: { 201: { description: "Stored", schema: z.object({ message: MessageSchema }) }, 200: { description: "Already stored", schema: z.object({ message: MessageSchema }) } },
    },
    async ({ auth, params, body }) => {
      const { message, created } = await sendMessage(deps, auth.userId, { roomId: params.id, ...body });
      return { status: created ? 201 : 200, body: { message } };
    },
  );

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms/:id/read",
      summary: "Move the caller's read cursor forward (never backwards)",
      tag,
      params: IdParams,
      body: z.strictObject({ seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }),
      responses: { 200: { description: "Cursor", schema: z.object({ lastReadSeq: z.number().int() }) } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { lastReadSeq: await markRead(deps, auth.userId, params.id, body.seq) } }),
  );
}
