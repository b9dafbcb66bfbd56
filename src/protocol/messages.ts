/**
 * Messages (PROTOCOL.md, "Rooms, invites, messages"): history, send, edit, delete and sync. Send is
 * one use case with two doors: the socket's `message:send` payload is the HTTP body plus `roomId`,
 * so both refuse the same input with the same field paths.
 */
import { z } from "zod";
import { AttachmentSchema } from "./attachments.js";
import { AckErrorBody } from "./errors.js";
import { PageLimit, RoomId, Seq, SeqParam } from "./common.js";
import { ATTACHMENTS_PER_MESSAGE_MAX, MESSAGE_TEXT_MAX } from "./limits.js";

export const MessageSchema = z
  .object({
    id: z.string(),
    roomId: z.string(),
    seq: z.number().int(),
    senderId: z.string(),
    type: z.enum(["text", "file", "system"]),
    text: z.string(),
    attachments: z.array(AttachmentSchema),
    clientMsgId: z.string().nullable(),
    createdAt: z.string(),
    editedAt: z.string().optional(),
    deletedAt: z.string().optional(),
  })
  .meta({ id: "Message" });

/** The idempotency key of a send: the same one again returns the stored message. */
export const ClientMsgId = z.string().min(1).max(100);
export const MessageText = z.string().max(MESSAGE_TEXT_MAX, { error: `must be at most ${MESSAGE_TEXT_MAX} characters` });
/** `${roomId}:${seq}`; the use case checks it belongs to the room. */
export const MessageId = z.string().min(3).max(64);
export const AttachmentIds = z.array(z.string().min(1).max(64)).max(ATTACHMENTS_PER_MESSAGE_MAX);

/** POST /api/rooms/:id/messages. Text may be empty only with attachments (the use case checks). */
export const SendMessageBody = z.strictObject({ clientMsgId: ClientMsgId, text: MessageText.default(""), attachmentIds: AttachmentIds.optional() });
export const MessageSendPayload = SendMessageBody.extend({ roomId: RoomId });

export const MessageEditPayload = z.strictObject({ roomId: RoomId, messageId: MessageId, text: MessageText });
export const MessageDeletePayload = z.strictObject({ roomId: RoomId, messageId: MessageId });

/** GET /api/rooms/:id/messages: the page just before `before` (default newest) or just after `after`. */
export const MessageListQuery = z.object({ before: SeqParam.optional(), after: SeqParam.optional(), limit: PageLimit });
export const MessagePageSchema = z.object({ messages: z.array(MessageSchema), hasMore: z.boolean() }).meta({ id: "MessagePage" });
export const MessageReply = z.object({ message: MessageSchema });

/** sync: each room the client knows, with the last seq it has seen. */
export const SyncPayload = z.strictObject({ rooms: z.record(RoomId, Seq) });
/** Per room: the messages after that seq, or (a room the caller is not in) an empty page with its error. */
export const SyncAck = z.object({ rooms: z.record(z.string(), MessagePageSchema.extend({ error: AckErrorBody.optional() })) });

export type Message = z.output<typeof MessageSchema>;
export type MessagePage = z.output<typeof MessagePageSchema>;
