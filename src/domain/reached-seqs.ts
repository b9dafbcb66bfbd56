/**
 * What this node knows of how far each room's messages go: per room, a seq its last message is
 * known to have reached. A room's lastSeq only grows, so what is known stays true, and a read
 * receipt at or below it is clamped without reading the room's head (domain/receipts.ts).
 * Learnt from the heads receipts read, and from the messages this node stores (readOwn).
 */
import type { MessageStore } from "./ports/message-store.js";
import type { RoomDeps } from "./rooms.js";

// Rooms remembered (about 60 bytes each); past it the memory starts over.
const ROOMS_REMEMBERED_MAX = 100_000;

export class ReachedSeqs {
  private readonly reached = new Map<string, number>();

  get(roomId: string): number {
    return this.reached.get(roomId) ?? 0;
  }

  learn(roomId: string, seq: number): void {
    if (seq <= this.get(roomId)) return;
    if (this.reached.size >= ROOMS_REMEMBERED_MAX) this.reached.clear();
    this.reached.set(roomId, seq);
  }
}

// One per message store, that is one per node (both doors, every use case that stores messages).
const perStore = new WeakMap<MessageStore, ReachedSeqs>();

export function reachedSeqsOf(messages: MessageStore): ReachedSeqs {
  let reached = perStore.get(messages);
  if (!reached) perStore.set(messages, (reached = new ReachedSeqs()));
  return reached;
}

/**
 * The sender has read what they wrote (a message, a notice): their cursor is written behind, in
 * one statement per window for all senders. And this node now knows the room has reached `seq`,
 * so the receipts its members send on seeing the message need no head read: in a chat where each
 * member marks what they see, that read was one statement per receipt batch, as many as the
 * cursor writes. A message stored on another node is learnt from the head read, as before.
 */
export function readOwn(deps: Pick<RoomDeps, "messages" | "rooms">, roomId: string, userId: string, seq: number): void {
  reachedSeqsOf(deps.messages).learn(roomId, seq);
  deps.rooms.advanceReadLater(roomId, userId, seq);
}
