/**
 * How one copy of a message replaces another (PROTOCOL.md, "Conversations"): every change to a
 * room's messages moves the room's `rev`, and a message carries the rev of its last change, so
 * the copy with the higher rev is the newer one whichever door brought it (a live broadcast, an
 * ack, a page, a resync's `updated`). Applying the same copy twice changes nothing.
 *
 * Broadcasts carry no `me` on reactions: it is derived from `userIds` (the first 10 who reacted)
 * when they list everyone, and otherwise kept from the last copy that had it (an ack or HTTP).
 */
import type { Message, Reaction } from "./types.js";

/** The most people a reaction lists by id (the server's REACTION_USERS_SHOWN). */
const USERS_SHOWN = 10;
/** Characters of the original a reply quotes (the server's REPLY_EXCERPT_MAX). */
const EXCERPT_MAX = 200;

/**
 * The copy to keep of a message known as `known` when `incoming` arrives, or null when `incoming`
 * is older (or the same state with nothing to add).
 */
export function merge(known: Message | undefined, incoming: Message, myId: string): Message | null {
  if (known && incoming.rev < known.rev) return null;
  const merged: Message = { ...incoming };
  if (incoming.reactions) merged.reactions = incoming.reactions.map((r) => withMe(r, known, myId));
  // A copy without the quote (a room list's lastMessage) keeps the one already known.
  if (known?.replyTo && !incoming.replyTo && incoming.replyToSeq === known.replyToSeq) merged.replyTo = known.replyTo;
  if (known && incoming.rev === known.rev && sameState(known, merged)) return null;
  return merged;
}

function withMe(r: Reaction, known: Message | undefined, myId: string): Reaction {
  if (r.me !== undefined) return r;
  if (r.userIds.includes(myId)) return { ...r, me: true };
  if (r.count <= r.userIds.length || r.count <= USERS_SHOWN) return { ...r, me: false }; // everyone is listed
  // More people than listed, and we are not among the first: keep what we last knew.
  const before = known?.reactions?.find((k) => k.emoji === r.emoji);
  return { ...r, me: before?.me ?? false };
}

function sameState(a: Message, b: Message): boolean {
  return JSON.stringify([a.text, a.deletedAt, a.editedAt, a.reactions, a.pinnedAt, a.replyTo]) === JSON.stringify([b.text, b.deletedAt, b.editedAt, b.reactions, b.pinnedAt, b.replyTo]);
}

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
