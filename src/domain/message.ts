/** A chat message as stored and as sent on the wire (PROTOCOL.md, "Rooms, invites, messages" and "Conversations"). */
export type MessageType = "text" | "file" | "system";

export interface AttachmentRef {
  id: string;
  name: string;
  size: number;
  contentType: string;
  url: string;
  thumbnailUrl?: string;
}

/** One emoji's reactions as a viewer sees them: `userIds` are the first 10 who reacted. */
export interface ReactionView {
  emoji: string;
  count: number;
  userIds: string[];
  /** Whether the viewer reacted with it: in acks and HTTP answers, never in broadcasts. */
  me?: boolean;
}

/** What a reply shows of the message it answers; `text` is null once that message is deleted. */
export interface ReplyExcerpt {
  seq: number;
  senderId: string;
  text: string | null;
}

export interface Message {
  /** `${roomId}:${seq}`: unique, and it locates the message's chunk without a lookup table. */
  id: string;
  roomId: string;
  seq: number;
  /** The room's timeline revision at this message's last change (its creation, an edit, a reaction…). */
  rev: number;
  senderId: string;
  type: MessageType;
  text: string;
  attachments: AttachmentRef[];
  clientMsgId: string | null;
  createdAt: string;
  editedAt?: string;
  deletedAt?: string;
  replyToSeq?: number;
  /** Filled in by the use cases from replyToSeq (the message store does not resolve it). */
  replyTo?: ReplyExcerpt;
  mentions?: string[];
  mentionsRoom?: boolean;
  /** In the order each emoji was first added; [] when there are none (PROTOCOL: every message has it). */
  reactions: ReactionView[];
  pinnedAt?: string;
  pinnedBy?: string;
}

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
