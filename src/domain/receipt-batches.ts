// Read receipts in batches (the use case, markRead, is in receipts.ts).
import { NotFound } from "./errors.js";
import type { MessageStore } from "./ports/message-store.js";
import type { RoomRepository } from "./ports/room-repository.js";
import type { RoomDeps } from "./rooms.js";

// Receipts are handled in batches, as messages are (store/group-commit.ts): those that arrive in
// one turn of the event loop, and those that arrive while a batch is in flight, go together. A
// batch reads the heads of its rooms once (or not at all, below) and its cursors move in one
// statement (store/read-cursors.ts). One by one, a receipt cost ~2.5 statements at 400 receipts/s
// (a head read, the update, a re-read), the statement pool queued them, and acks timed out.
// In flight at once: a second batch overlaps the first's round trips; more only split batches.
const IN_FLIGHT_MAX = 2;
const BATCH_MAX = 1_000;

interface Receipt {
  deps: RoomDeps;
  userId: string;
  roomId: string;
  seq: number;
  resolve(lastReadSeq: number): void;
  reject(err: unknown): void;
}

// Rooms remembered (about 60 bytes each); past it the memory starts over.
const ROOMS_REMEMBERED_MAX = 100_000;

class ReachedSeqs {
  private readonly seqs = new Map<string, number>();

  get(roomId: string): number {
    return this.seqs.get(roomId) ?? 0;
  }

  learn(roomId: string, seq: number): void {
    if (seq <= this.get(roomId)) return;
    if (this.seqs.size >= ROOMS_REMEMBERED_MAX) this.seqs.clear();
    this.seqs.set(roomId, seq);
  }
}

/**
 * The read receipts of one node, in batches, and what the node knows of how far each room's
 * messages go. Built once by the composition root (RoomDeps.receipts): both doors, and every use
 * case that stores a message, share it.
 */
export class ReceiptBatches {
  private queue: Receipt[] = [];
  private inFlight = 0;
  private scheduled = false;
  /**
   * Per room, a seq its last message is known to have reached. A room's lastSeq only grows, so
   * this stays true: a receipt at or below it needs no head read to be clamped. Learnt from the
   * heads receipts read, and from the messages this node stores (readOwn).
   */
  private readonly reached = new ReachedSeqs();

  constructor(private readonly messages: Pick<MessageStore, "heads">) {}

  /**
   * The sender has read what they wrote (a message, a notice): their cursor is written behind, in
   * one statement per window for all senders. And this node now knows the room has reached `seq`,
   * so the receipts its members send on seeing the message need no head read: in a chat where
   * each member marks what they see, that read was one statement per receipt batch, as many as
   * the cursor writes. A message stored on another node is learnt from the head read.
   */
  readOwn(rooms: Pick<RoomRepository, "advanceReadLater">, roomId: string, userId: string, seq: number): void {
    this.reached.learn(roomId, seq);
    rooms.advanceReadLater(roomId, userId, seq);
  }

  submit(deps: RoomDeps, userId: string, roomId: string, seq: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ deps, userId, roomId, seq, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After this turn's I/O callbacks, so receipts that arrive together share a batch.
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    });
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT_MAX && this.queue.length) {
      const batch = this.queue.splice(0, BATCH_MAX);
      this.inFlight++;
      void this.run(batch)
        .catch((err: unknown) => {
          for (const r of batch) r.reject(err);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private async run(batch: Receipt[]): Promise<void> {
    await this.learnHeads(batch);
    // All in this turn: the cursor store takes them as one statement.
    const results = await Promise.allSettled(
      batch.map((r) => r.deps.rooms.advanceRead(r.roomId, r.userId, Math.min(r.seq, this.reached.get(r.roomId)))),
    );
    await Promise.all(batch.map(async (r, i) => {
      try {
        const result = results[i]!;
        if (result.status === "rejected") throw result.reason;
        if (!result.value) throw new NotFound("no such room");
        const { lastReadSeq, moved } = result.value;
        // Only the receipt that carried the cursor tells the room (one per cursor per batch).
        if (moved) {
          r.deps.broadcaster.toRoom(r.roomId, "receipt:updated", { roomId: r.roomId, userId: r.userId, lastReadSeq });
          await r.deps.feed.roomChanged(r.roomId, [r.userId]);
        }
        r.resolve(lastReadSeq);
      } catch (err) {
        r.reject(err);
      }
    }));
  }

  /** Reads the heads of the batch's rooms that a receipt asks past what is remembered, in one call. */
  private async learnHeads(batch: Receipt[]): Promise<void> {
    const unknown = new Set<string>();
    for (const r of batch) if (r.seq > this.reached.get(r.roomId)) unknown.add(r.roomId);
    if (!unknown.size) return;
    const heads = await this.messages.heads([...unknown]);
    for (const [roomId, head] of heads) this.reached.learn(roomId, head.lastSeq);
  }
}
