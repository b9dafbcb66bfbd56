/**
 * What a message says on screen, beyond its text: the quote a reply shows of its original, whether
 * it mentions the reader, and the sentence a system message reads as. (Which copy of a message to
 * keep is the SDK's: mergeMessage, applied by its room timelines.)
 */
import type { Message } from "./types.js";

/** Characters of the original a reply quotes (the server's REPLY_EXCERPT_MAX). */
const EXCERPT_MAX = 200;

/** What a reply shows of `original`, as the server would quote it now (null text once deleted). */
export function excerptOf(original: Message): NonNullable<Message["replyTo"]> {
  return { seq: original.seq, senderId: original.senderId, text: original.deletedAt ? null : [...original.text].slice(0, EXCERPT_MAX).join("") };
}

/** Whether `message` mentions `userId` (by id or the whole room), not counting one's own messages. */
export function mentionsUser(message: Message, userId: string): boolean {
  if (message.senderId === userId || message.deletedAt) return false;
  return !!message.mentionsRoom || !!message.mentions?.includes(userId);
}

/**
 * What a system message says, led by who did it (the sender is the actor): "Ann pinned a message",
 * "Ann made Bob an admin", "Ann renamed the room to …", "Ann banned Bob".
 */
export function noticeText(message: Pick<Message, "text">, actor: string): string {
  return /^pinned message \d+$/.test(message.text) ? `${actor} pinned a message` : `${actor} ${message.text}`;
}
