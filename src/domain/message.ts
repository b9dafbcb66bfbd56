/**
 * A chat message as stored and as sent on the wire (PROTOCOL.md, "Rooms, invites, messages" and
 * "Conversations"). The shapes are the contract's (src/protocol/messages.ts), not restated here:
 * a field changed there changes it for the domain, the doors and the clients in one type-check.
 */
import type { Attachment } from "../protocol/attachments.js";
import type { Message, MessageType, Reaction, ReplyExcerpt } from "../protocol/messages.js";

export type { Message, MessageType, ReplyExcerpt };
/** A file as a message carries it (the upload's reply, src/protocol/attachments.ts). */
export type AttachmentRef = Attachment;
/** One emoji's reactions as a viewer sees them: `me` in acks and HTTP answers, never in broadcasts. */
export type ReactionView = Reaction;

/** The most people a reaction lists by id; `count` has them all. */
export const REACTION_USERS_SHOWN = 10;
/** Distinct emoji one message may carry. */
export const REACTIONS_PER_MESSAGE_MAX = 20;
/** Characters of the original a reply quotes. */
export const REPLY_EXCERPT_MAX = 200;

export function messageId(roomId: string, seq: number): string {
  return `${roomId}:${seq}`;
}

/** Null when the id is not of this room or not well formed. */
export function seqOfMessageId(roomId: string, id: string): number | null {
  const prefix = `${roomId}:`;
  if (!id.startsWith(prefix)) return null;
  const rest = id.slice(prefix.length);
  if (!/^[1-9]\d{0,14}$/.test(rest)) return null;
  return Number(rest);
}

/** The message as everyone sees it (a broadcast): without the viewer's own `me` marks. */
export function forEveryone(message: Message): Message {
  if (!message.reactions.length) return message;
  return { ...message, reactions: message.reactions.map(({ me: _, ...r }) => r) };
}
