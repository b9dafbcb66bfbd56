// The per-user read cursors ("Membership"."lastReadSeq"): they only move forward.
// - Receipts (advance): every receipt of one tick goes into one statement (DataLoader batches
//   them; domain/receipts.ts hands over a whole batch in one tick) that moves the cursors and says
//   where the others are; only a cursor another writer moved meanwhile is read again. The ack
//   still waits for the write.
// - Senders' own cursors (later): written behind, one statement per window.
// Both go through one SQL function, advance_read_cursors (prisma/migrations/20261206120000): it is
// conditional (`lastReadSeq < new`), so receipts from two devices or two nodes can never move a
// cursor back, and it locks its rows in key order first: the plain UPDATE-from-a-list it replaced
// deadlocked under load (39 receipts in one 600/s run, and test/store/read-cursors.test.ts), as its
// plan visited rows in whatever order it chose. A function so that its plan is kept: sent as a
// statement, its planning cost three times its execution.

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
    const targets = keys.map((k) => target.get(k)!);
    // One statement: the update, and where every cursor is (`seen`: before the update, in this
    // statement's snapshot). A member's row is missing for a non-member.
    const rows = await this.run<{ i: number; last: number | null; seen: number; moved: boolean }>(
      Sql.sql`SELECT i, last, seen, moved FROM advance_read_cursors(${roomIds}::uuid[], ${userIds}::uuid[], ${targets}::int[])`,
    );
    const byKey = new Map<string, { last: number; moved: boolean }>();
    const raced: string[] = [];
    for (const r of rows) {
      const key = keys[r.i - 1]!;
      if (r.moved) byKey.set(key, { last: r.last!, moved: true });
      else if (r.seen >= target.get(key)!) byKey.set(key, { last: r.seen, moved: false });
      // Not moved, yet behind the target in the snapshot: a receipt from another device or node
      // committed while this update waited for the row. Read it afresh (a new snapshot).
      else raced.push(key);
    }
    if (raced.length) {
      const [racedRooms, racedUsers] = roomsAndUsers(raced);
      const fresh = await this.run<{ i: number; last: number }>(Sql.sql`
        SELECT t.i::int AS i, m."lastReadSeq" AS last
        FROM unnest(${racedRooms}::uuid[], ${racedUsers}::uuid[]) WITH ORDINALITY AS t(r, u, i)
        JOIN "Membership" m ON m."roomId" = t.r AND m."userId" = t.u`);
      for (const r of fresh) byKey.set(raced[r.i - 1]!, { last: r.last, moved: false });
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
    await this.run(Sql.sql`SELECT count(*)::int AS n FROM advance_read_cursors(${roomIds}::uuid[], ${userIds}::uuid[], ${keys.map((k) => batch.get(k)!)}::int[])`);
  }
}
