/**
 * Which copy of a message to keep (PROTOCOL.md, "Conversations"): every change to a room's
 * messages moves the room's `rev`, and a message carries the rev of its last change, so the copy
 * with the higher rev is the newer one, whichever door brought it (a broadcast, an ack, a page, a
 * resync's `updated`). The same copy applied twice changes nothing.
 *
 * Broadcasts carry no `me` on reactions (acks and HTTP answers do): it is derived from `userIds`
 * (the first 10 who reacted) when they list everyone, else kept from the copy known before.
 */
import type { Message } from "./protocol.js";

type Reaction = Message["reactions"][number];

/** The copy to keep when `incoming` meets `known`, or null when `incoming` adds nothing (older, or the same). */
export function mergeMessage(known: Message | undefined, incoming: Message, myUserId?: string): Message | null {
  if (known && incoming.rev < known.rev) return null;
  let merged = incoming;
  if (myUserId !== undefined && incoming.reactions.some((r) => r.me === undefined)) {
    merged = { ...incoming, reactions: incoming.reactions.map((r) => withMe(r, known, myUserId)) };
  }
  // A copy without the quote (a room list's lastMessage) keeps the one already known.
  if (known?.replyTo && !merged.replyTo && merged.replyToSeq === known.replyToSeq) merged = { ...merged, replyTo: known.replyTo };
  if (known && merged.rev === known.rev && sameState(known, merged)) return null;
  return merged;
}

function withMe(r: Reaction, known: Message | undefined, myUserId: string): Reaction {
  if (r.me !== undefined) return r;
  if (r.userIds.includes(myUserId)) return { ...r, me: true };
  if (r.count <= r.userIds.length) return { ...r, me: false }; // everyone who reacted is listed
  return { ...r, me: known?.reactions.find((k) => k.emoji === r.emoji)?.me ?? false };
}

function sameState(a: Message, b: Message): boolean {
  const state = (m: Message) => JSON.stringify([m.text, m.editedAt, m.deletedAt, m.reactions, m.pinnedAt, m.pinnedBy, m.replyTo]);
  return state(a) === state(b);
}
