/**
 * Messages (PROTOCOL.md, "Rooms, invites, messages"): history, send, edit, delete and sync. Send is
 * one use case with two doors: the socket's `message:send` payload is the HTTP body plus `roomId`,
 * so both refuse the same input with the same field paths.
 */
import { z } from "zod";
import { AttachmentSchema } from "./attachments.js";
import { AckErrorBody } from "./errors.js";
import { Id, PageLimit, RoomId, Seq, SeqParam } from "./common.js";
import { ATTACHMENTS_PER_MESSAGE_MAX, MENTIONS_PER_MESSAGE_MAX, MESSAGE_TEXT_MAX } from "./limits.js";

export const MessageSchema = z
  .object({
    /** `${roomId}:${seq}`: unique, and it locates the message's chunk without a lookup table. */
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
    /** The room's timeline revision at this message's last change (PROTOCOL.md, "Conversations"). */
    rev: z.number().int(),
    replyToSeq: z.number().int().optional(),
    /**
     * What the answered message says now: `text` null once it is deleted. Absent in room lists and
     * search hits; the use cases fill it in from replyToSeq (the message store does not resolve it).
     */
    replyTo: z.object({ seq: z.number().int(), senderId: z.string(), text: z.string().nullable() }).optional(),
    mentions: z.array(z.string()).optional(),
    mentionsRoom: z.boolean().optional(),
    /**
     * In the order each emoji was first added; [] when there are none. `userIds` are the first 10
     * who reacted (`count` has them all); `me` only in acks and HTTP answers, never in broadcasts.
     */
    reactions: z.array(z.object({ emoji: z.string(), count: z.number().int(), userIds: z.array(z.string()), me: z.boolean().optional() })),
    pinnedAt: z.string().optional(),
    pinnedBy: z.string().optional(),
  })
  .meta({ id: "Message" });

/** The idempotency key of a send: the same one again returns the stored message. */
export const ClientMsgId = z.string().min(1).max(100);
export const MessageText = z.string().max(MESSAGE_TEXT_MAX, { error: `must be at most ${MESSAGE_TEXT_MAX} characters` });
/** `${roomId}:${seq}`; the use case checks it belongs to the room. */
export const MessageId = z.string().min(3).max(64);
export const AttachmentIds = z.array(z.string().min(1).max(64)).max(ATTACHMENTS_PER_MESSAGE_MAX);

/** POST /api/rooms/:id/messages. Text may be empty only with attachments (the use case checks). */
export const SendMessageBody = z.strictObject({
  clientMsgId: ClientMsgId,
  text: MessageText.default(""),
  attachmentIds: AttachmentIds.optional(),
  /** A message of the same room this one answers. */
  replyToSeq: Seq.min(1).optional(),
  /** Members of the room this message mentions. */
  mentions: z.array(Id).max(MENTIONS_PER_MESSAGE_MAX).optional(),
  /** Mentions every member. */
  mentionsRoom: z.boolean().optional(),
});
export const MessageSendPayload = SendMessageBody.extend({ roomId: RoomId });

export const MessageEditPayload = z.strictObject({ roomId: RoomId, messageId: MessageId, text: MessageText });
export const MessageDeletePayload = z.strictObject({ roomId: RoomId, messageId: MessageId });

/** GET /api/rooms/:id/messages: the page just before `before` (default newest) or just after `after`. */
export const MessageListQuery = z.object({ before: SeqParam.optional(), after: SeqParam.optional(), limit: PageLimit });
export const MessagePageSchema = z.object({ messages: z.array(MessageSchema), hasMore: z.boolean() }).meta({ id: "MessagePage" });
export const MessageReply = z.object({ message: MessageSchema });

/** Where a client is in one room: its last seen seq and, to hear of changes to older messages too, its last seen rev. */
export const RoomPosition = z.strictObject({ afterSeq: Seq, afterRev: Seq.optional() });
/** sync: each room the client knows, with the last seq it has seen (the first form) or its position. */
export const SyncPayload = z.strictObject({ rooms: z.record(RoomId, z.union([Seq, RoomPosition])) });
/**
 * Per room: the messages after afterSeq; with afterRev, `updated` (older messages changed after it,
 * in their current state); `rev` to ask from next time. A room the caller is not in: an empty page
 * with its error.
 */
export const CatchUpSchema = MessagePageSchema.extend({ updated: z.array(MessageSchema).optional(), rev: z.number().int() });
export const SyncAck = z.object({ rooms: z.record(z.string(), CatchUpSchema.extend({ error: AckErrorBody.optional() })) });

/** GET /api/rooms/:id/changes: every message changed (or new) after `afterRev` (default 0: from the start), ascending by rev. */
export const ChangesQuery = z.object({ afterRev: SeqParam.default(0), limit: PageLimit });
export const ChangesPageSchema = z.object({ messages: z.array(MessageSchema), rev: z.number().int(), hasMore: z.boolean() }).meta({ id: "ChangesPage" });

/** One message of a room in a path: /api/rooms/:id/messages/:seq. */
export const MessageParams = z.object({ id: Id, seq: SeqParam.min(1) });
/** GET /api/rooms/:id/messages/:seq/replies: replies ascending by seq, after `after`. */
export const RepliesQuery = z.object({ after: SeqParam.optional(), limit: PageLimit });

export type Message = z.output<typeof MessageSchema>;
export type MessageType = Message["type"];
/** One emoji's reactions on a message, as one viewer sees them. */
export type Reaction = Message["reactions"][number];
/** What a reply shows of the message it answers. */
export type ReplyExcerpt = NonNullable<Message["replyTo"]>;
export type MessagePage = z.output<typeof MessagePageSchema>;
export type CatchUp = z.output<typeof CatchUpSchema>;
export type SyncRooms = z.output<typeof SyncAck>["rooms"];
export type ChangesPage = z.output<typeof ChangesPageSchema>;
