// The per-user read cursors ("Membership"."lastReadSeq"): they only move forward.
// - Receipts (advance): every receipt of one tick goes into one statement (DataLoader batches
//   them; a second one reads the cursors that did not move), instead of one or two Prisma round
//   trips each. The ack still waits for the write.
// - Senders' own cursors (later): written behind, one statement per window.
// Both statements are conditional (`lastReadSeq < new`), so receipts from two devices or two
// nodes can never move a cursor back, and both take the rows' locks in key order.

import DataLoader from "dataloader";
import { Prisma as Sql } from "./generated/prisma/client.js";
import { statementRunner, type Prisma, type PlainSql, type StatementRunner } from "./database.js";

const LATER_WINDOW_MS = 100;

interface Receipt {
  roomId: string;
  userId: string;
  seq: number;
}

export type Advanced = { lastReadSeq: number; moved: boolean } | null;

/** Cursor keys are "roomId userId": the two uuid[] columns a statement unnests. */
function roomsAndUsers(keys: string[]): [string[], string[]] {
  const pairs = keys.map((k) => k.split(" "));
  return [pairs.map((p) => p[0]!), pairs.map((p) => p[1]!)];
}

export class ReadCursors {
  private readonly receipts = new DataLoader<Receipt, Advanced, Receipt>((batch) => this.advanceAll(batch), { cache: false, maxBatchSize: 1_000 });
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly run: StatementRunner;

  /** `sql`: the pool for the hottest statements (Database.sql); receipts are one of them. */
  constructor(
    prisma: Prisma,
    private readonly onError: (err: unknown, what: string) => void,
    sql?: PlainSql | null,
  ) {
    this.run = statementRunner(prisma, sql);
  }

  /** Moves the cursor to `seq` if that is forward; null when the user is not a member. */
  advance(roomId: string, userId: string, seq: number): Promise<Advanced> {
    return this.receipts.load({ roomId, userId, seq });
  }

  /**
   * Within one batch a cursor moves once, to the highest seq asked; every receipt for it answers
   * with where it ended, and only the one that carried it there reports `moved`.
   */
  private async advanceAll(batch: readonly Receipt[]): Promise<Advanced[]> {
    const target = new Map<string, number>();
    for (const r of batch) {
      const key = `${r.roomId} ${r.userId}`;
      target.set(key, Math.max(r.seq, target.get(key) ?? -1));
    }
    const keys = [...target.keys()].sort();
    const [roomIds, userIds] = roomsAndUsers(keys);
    const moved = await this.run<{ i: number; last: number }>(Sql.sql`
      UPDATE "Membership" m SET "lastReadSeq" = t.s
      FROM unnest(${roomIds}::uuid[], ${userIds}::uuid[], ${keys.map((k) => target.get(k)!)}::int[]) WITH ORDINALITY AS t(r, u, s, i)
      WHERE m."roomId" = t.r AND m."userId" = t.u AND m."lastReadSeq" < t.s
      RETURNING t.i::int AS i, m."lastReadSeq" AS last`);
    const byKey = new Map<string, { last: number; moved: boolean }>(moved.map((r) => [keys[r.i - 1]!, { last: r.last, moved: true }]));
    // The rest did not move: read them afresh (a new snapshot, so a receipt that another node
    // committed while this update waited for the row shows; this statement's own would not).
    const still = keys.filter((k) => !byKey.has(k));
    if (still.length) {
      const [stillRooms, stillUsers] = roomsAndUsers(still);
      const rows = await this.run<{ i: number; last: number }>(Sql.sql`
        SELECT t.i::int AS i, m."lastReadSeq" AS last
        FROM unnest(${stillRooms}::uuid[], ${stillUsers}::uuid[]) WITH ORDINALITY AS t(r, u, i)
        JOIN "Membership" m ON m."roomId" = t.r AND m."userId" = t.u`);
      for (const r of rows) byKey.set(still[r.i - 1]!, { last: r.last, moved: false });
    }
    return batch.map((r) => {
      const row = byKey.get(`${r.roomId} ${r.userId}`);
      if (!row) return null;
      return { lastReadSeq: row.last, moved: row.moved && r.seq === target.get(`${r.roomId} ${r.userId}`) };
    });
  }

  /** The sender has read what they wrote: written behind (a crash loses at most a window of these). */
  later(roomId: string, userId: string, seq: number): void {
    const key = `${roomId} ${userId}`;
    this.pending.set(key, Math.max(seq, this.pending.get(key) ?? 0));
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.writeLater()).catch((err) => this.onError(err, "read cursor batch"));
    }, LATER_WINDOW_MS);
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.writeLater());
    }
    await this.flushing;
  }

  private async writeLater(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    if (!batch.size) return;
    const keys = [...batch.keys()].sort();
    const [roomIds, userIds] = roomsAndUsers(keys);
    await this.run(Sql.sql`
      UPDATE "Membership" m SET "lastReadSeq" = t.s
      FROM unnest(${roomIds}::uuid[], ${userIds}::uuid[], ${keys.map((k) => batch.get(k)!)}::int[]) AS t(r, u, s)
      WHERE m."roomId" = t.r AND m."userId" = t.u AND m."lastReadSeq" < t.s`);
  }
}
