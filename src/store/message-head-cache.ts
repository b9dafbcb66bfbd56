// The room heads this process's last batches left behind, so the next batch of a room can be
// planned without reading (and locking) its head first: the batch statement then checks that the
// head has not moved (pg-message-batch.ts), and if it has — another node wrote to the room, or a
// write failed — the batch runs again under the heads' row locks. A room that conflicted stays on
// the locked path for a while, so rooms written from several nodes do not pay for two tries each time.

import type { HeadRow } from "./pg-message-batch.js";

const MAX_ROOMS = 100_000;
const CONTENDED_MS = 10_000;

export class MessageHeadCache {
  private readonly heads = new Map<string, HeadRow>();
  private readonly contended = new Map<string, number>();

  /** The heads of all these rooms, or null when any is unknown or contended. */
  get(roomIds: string[], now = Date.now()): HeadRow[] | null {
    const out: HeadRow[] = [];
    for (const id of roomIds) {
      const until = this.contended.get(id);
      if (until !== undefined) {
        if (until > now) return null;
        this.contended.delete(id);
      }
      const head = this.heads.get(id);
      if (!head) return null;
      out.push(head);
    }
    return out;
  }

  /** After a batch committed: where its rooms' heads are now. */
  remember(heads: HeadRow[]): void {
    if (this.heads.size + heads.length > MAX_ROOMS) this.heads.clear();
    for (const h of heads) {
      const { roomId, lastSeq, rev, openFirstSeq, openBucket, openCount, openBytes } = h;
      this.heads.set(roomId, { roomId, lastSeq, rev, openFirstSeq, openBucket, openCount, openBytes });
    }
  }

  /** This process moved these rooms' heads outside a batch (a page of deletions): read them again next time. */
  drop(roomIds: string[]): void {
    for (const id of roomIds) this.heads.delete(id);
  }

  /**
   * A change (edit, reaction, pin…) left the room's head at `head`: a change moves the rev and
   * nothing else, so a remembered head at the same lastSeq is right again with this rev; one at
   * another lastSeq was stale already and is forgotten.
   */
  changed(roomId: string, head: { rev: number; lastSeq: number }): void {
    const known = this.heads.get(roomId);
    if (!known) return;
    if (known.lastSeq === head.lastSeq) this.heads.set(roomId, { ...known, rev: head.rev });
    else this.heads.delete(roomId);
  }

  /** A batch in these rooms failed or found a head moved: read them under lock for a while. */
  forget(roomIds: string[], now = Date.now()): void {
    if (this.contended.size > MAX_ROOMS) this.contended.clear();
    for (const id of roomIds) {
      this.heads.delete(id);
      this.contended.set(id, now + CONTENDED_MS);
    }
  }
}
