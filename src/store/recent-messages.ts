// The messages this process wrote last (new ones and changed ones), as stored, so that a change
// to a recent message — a reaction to what was just said, an edit of one's last line — is planned
// without reading the message first: the commit that carries it is then one round trip.
//
// Being stale is safe: message_change writes an element only if it is still at the rev the change
// was planned from (another node's edit, a deletion, a write that never committed all move or
// remove it), and a change that lost that race is planned again from a fresh read. Only a change
// that WRITES may be planned from here: one that turns out to be a no-op or refused would answer
// from state nobody checked, so pg-message-change.ts reads those again before answering.
// Bounded, oldest written first out.

import type { StoredMessage } from "./message-chunks.js";

const DEFAULT_MAX = 10_000;

export class RecentMessages {
  private readonly byKey = new Map<string, StoredMessage>();

  constructor(private readonly max = DEFAULT_MAX) {}

  get(roomId: string, seq: number): StoredMessage | undefined {
    return this.byKey.get(keyOf(roomId, seq));
  }

  /** After a commit: the message as it now is (the element must not be changed afterwards). */
  remember(roomId: string, m: StoredMessage): void {
    const key = keyOf(roomId, m.seq);
    this.byKey.delete(key); // re-inserted: newest last, so eviction takes the oldest written
    this.byKey.set(key, m);
    if (this.byKey.size > this.max) this.byKey.delete(this.byKey.keys().next().value!);
  }

  forget(roomId: string, seq: number): void {
    this.byKey.delete(keyOf(roomId, seq));
  }

  get size(): number {
    return this.byKey.size;
  }
}

const keyOf = (roomId: string, seq: number) => `${roomId}:${seq}`;
