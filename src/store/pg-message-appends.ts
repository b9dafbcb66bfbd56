// The appends of one group-commit turn of the PostgreSQL message store (pg-message-store.ts;
// lanes = rooms, group-commit.ts). One call per batch of the message_append function (message_batch_write and the index rows; pg-message-batch.ts, its migrations): lock the batch's heads in
// roomId order (batches of several nodes never deadlock), fold closing chunks, insert tail rows and
// keys, advance the heads; it aborts, leaving nothing, unless every head was where the plan
// assumed and every key was new. Two ways to run it:
//   - remembered heads (message-head-cache.ts): this process wrote the batch's rooms last, so it
//     plans from what it left and runs the statement as its own transaction: one round trip.
//     ~40% lower ack p99 at 1,500 msgs/s than the locked way (docs/performance.md). On PostgreSQL
//     it goes through a pg pool of its own (options.writes), past Prisma's query layer: 0.61–0.63
//     against 0.67–0.72 ms of the node's CPU per message at 1,000 msgs/s;
//   - locked, when a head is unknown or the remembered way failed: a transaction that reads the
//     heads FOR NO KEY UPDATE (and, after a failure, looks the batch's keys up), then the statement.
// Keys go in with ON CONFLICT DO NOTHING: if one was taken (a retried clientMsgId) the count comes
// up short, the statement aborts and the batch runs again the locked way, looking its keys up first
// (safe: a key insert commits together with its room's head update, under the head's lock). So a
// duplicate never consumes a seq, and the common case saves a round trip.
// Seqs are head.lastSeq + 1 … in queue order and commit together: commit order is seq order.
// Caveat: if the connection dies during COMMIT the outcome is unknown; the retry then finds a
// clientMsgId'd message stored and answers created=false (no duplicate, but the caller will not
// broadcast it), and a message without clientMsgId (system) may be stored twice.
// jsonb_to_recordset / jsonb_array_elements_text sources carry a LIMIT of their exact count: the
// planner guesses such a function at 100 rows, and the true number makes it join through indexes.

import type { Message } from "../domain/message.js";
import type { MessageDraft } from "../domain/ports/message-store.js";
import type { Prisma, StatementRunner } from "./database.js";
import type { ChunkLimits } from "./message-chunks.js";
import type { MessageHeadCache } from "./message-head-cache.js";
import { planBatch, writePlan, type BatchPlan, type HeadRow, type RunStatement } from "./pg-message-batch.js";
import type { RecentMessages } from "./recent-messages.js";

export interface PendingAppend {
  draft: MessageDraft;
  now: Date;
}

/**
 * created: stored by this batch; repeat: its key was taken in this batch; stored: taken earlier;
 * refused: not stored, for this error (a reply to a seq the room has not reached).
 */
export type AppendOutcome = { kind: "created" | "repeat"; message: Message } | { kind: "stored"; seq: number } | { kind: "refused"; error: unknown };

/** A batch's outcomes (one per item, in order), where it left its rooms' heads, and its open chunks' new messages. */
interface Written {
  outcomes: AppendOutcome[];
  heads: HeadRow[];
  tails: BatchPlan["tails"];
}

/** A batch planned the remembered way and not yet written (MessageAppends.prepare). */
export interface PreparedAppends {
  plan: BatchPlan;
  outcomes: AppendOutcome[];
  committed(): void;
}

export const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 };
const keyOf = (d: MessageDraft) => JSON.stringify([d.roomId, d.senderId, d.clientMsgId]);

export class MessageAppends {
  /** Rooms whose head row surely exists (so the batch transaction never has to create one). */
  private readonly knownHeads = new Set<string>();

  constructor(
    private readonly prisma: Prisma,
    /** Runs one statement as its own transaction. */
    private readonly runAlone: StatementRunner,
    private readonly headCache: MessageHeadCache,
    private readonly recent: RecentMessages,
    private readonly limits: ChunkLimits,
    private readonly foldSpread: number,
  ) {}

  /**
   * The remembered way, planned and not written, for a caller that writes the plan together with
   * something else in one statement (pg-message-store.ts: a turn's changes): null when a head is
   * not remembered or nothing is new. `committed` once the plan is written; if the write failed,
   * `commit` the batch instead.
   */
  async prepare(batch: PendingAppend[]): Promise<PreparedAppends | null> {
    const rooms = await this.ensureHeads(batch);
    const cached = this.headCache.get(rooms);
    if (!cached) return null;
    const planned = this.plan(batch, cached, new Map());
    if (!planned.fresh) return null;
    return { plan: planned.plan, outcomes: planned.outcomes, committed: () => this.committed(planned) };
  }

  async commit(batch: PendingAppend[], checkKeys = false): Promise<AppendOutcome[]> {
    const rooms = await this.ensureHeads(batch);
    if (!checkKeys) {
      const cached = this.headCache.get(rooms);
      if (cached) {
        try {
          const written = await this.write(this.runAlone, batch, cached, new Map());
          this.committed(written);
          return written.outcomes;
        } catch {
          // The head moved (another node wrote), a key was taken (a retried clientMsgId), or the
          // write failed: nothing was written. Again, under the heads' locks, looking keys up first.
          this.headCache.forget(rooms);
          return (await this.commitLocked(batch, rooms, true)).outcomes;
        }
      }
    }
    try {
      const written = await this.commitLocked(batch, rooms, checkKeys);
      this.committed(written);
      return written.outcomes;
    } catch (error) {
      // Most likely a key taken by an earlier batch: look the keys up, then write the rest.
      if (!checkKeys) return (await this.commitLocked(batch, rooms, true)).outcomes;
      throw error;
    }
  }

  /** The batch's rooms, each with a head row (created outside any batch transaction, so head creation never interleaves with head locking). */
  private async ensureHeads(batch: PendingAppend[]): Promise<string[]> {
    const rooms = [...new Set(batch.map((p) => p.draft.roomId))];
    const unknown = rooms.filter((r) => !this.knownHeads.has(r)).sort();
    if (unknown.length > 0) {
      await this.prisma.$executeRaw`
        INSERT INTO "MessageHead" ("roomId", "lastSeq", "openFirstSeq", "openBucket", "openCount", "openBytes")
        SELECT r, 0, 1, to_timestamp(0), 0, 0 FROM jsonb_array_elements_text(${JSON.stringify(unknown)}::jsonb) AS r
        ORDER BY r ON CONFLICT ("roomId") DO NOTHING`;
      if (this.knownHeads.size > 100_000) this.knownHeads.clear();
      for (const r of unknown) this.knownHeads.add(r);
    }
    return rooms;
  }

  /** A written batch committed: its heads and its new messages are what this process remembers. */
  private committed(written: Written): void {
    this.headCache.remember(written.heads);
    for (const t of written.tails) this.recent.remember(t.roomId, t.m);
  }

  /** Reads and locks the heads (in roomId order, so batches of several nodes never deadlock), then writes. */
  private commitLocked(batch: PendingAppend[], rooms: string[], checkKeys: boolean): Promise<Written> {
    return this.prisma.$transaction(async (tx) => {
      const heads = await tx.$queryRaw<HeadRow[]>`
        SELECT "roomId", "lastSeq", rev, "openFirstSeq", "openBucket", "openCount", "openBytes" FROM "MessageHead"
        WHERE "roomId" IN (SELECT jsonb_array_elements_text(${JSON.stringify(rooms)}::jsonb) LIMIT ${rooms.length}::int)
        ORDER BY "roomId" FOR NO KEY UPDATE`;
      if (heads.length !== rooms.length) throw new Error("message head rows are missing");
      const stored = new Map<string, number>();
      const keyed = batch.filter((p) => p.draft.clientMsgId !== null);
      if (checkKeys && keyed.length > 0) {
        const wanted = keyed.map((p) => ({ r: p.draft.roomId, s: p.draft.senderId, c: p.draft.clientMsgId }));
        const found = await tx.$queryRaw<{ roomId: string; senderId: string; clientMsgId: string; seq: number }[]>`
          SELECT k."roomId", k."senderId", k."clientMsgId", k.seq
          FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) AS w(r text, s text, c text) LIMIT ${wanted.length}::int) w
          JOIN "MessageKey" k ON k."roomId" = w.r AND k."senderId" = w.s AND k."clientMsgId" = w.c`;
        for (const k of found) stored.set(JSON.stringify([k.roomId, k.senderId, k.clientMsgId]), k.seq);
      }
      return this.write((statement) => tx.$queryRaw(statement), batch, heads, stored);
    }, TX_OPTIONS);
  }

  /**
   * Plans and writes the batch from these heads; `stored` holds keys known to be taken already.
   * Within the batch, a clientMsgId's first occurrence is written and later ones repeat it.
   */
  private async write(run: RunStatement, batch: PendingAppend[], heads: HeadRow[], stored: Map<string, number>): Promise<Written> {
    const planned = this.plan(batch, heads, stored);
    if (planned.fresh) await writePlan(run, planned.plan);
    return planned;
  }

  /** What `write` writes: `fresh` when the batch holds anything new. */
  private plan(batch: PendingAppend[], heads: HeadRow[], stored: Map<string, number>): Written & { plan: BatchPlan; fresh: boolean } {
    const outcomes = new Map<PendingAppend, AppendOutcome>();
    const first = new Map<string, PendingAppend>();
    for (const p of batch) {
      if (p.draft.clientMsgId === null) continue;
      const key = keyOf(p.draft);
      const seq = stored.get(key);
      if (seq !== undefined) outcomes.set(p, { kind: "stored", seq });
      else if (!first.has(key)) first.set(key, p);
    }
    const fresh = batch.filter((p) => !outcomes.has(p) && (p.draft.clientMsgId === null || first.get(keyOf(p.draft)) === p));
    const created = new Map<PendingAppend, Message>();
    const refused = new Map<PendingAppend, unknown>();
    const plan = planBatch(heads, fresh, this.limits, created, this.foldSpread, refused);
    for (const [p, message] of created) outcomes.set(p, { kind: "created", message });
    for (const [p, error] of refused) outcomes.set(p, { kind: "refused", error });
    const inOrder = batch.map((p): AppendOutcome => {
      const own = outcomes.get(p);
      if (own) return own;
      const original = outcomes.get(first.get(keyOf(p.draft))!)!;
      return original.kind === "refused" ? original : { kind: "repeat", message: (original as { message: Message }).message };
    });
    return { outcomes: inOrder, heads: plan.heads, tails: plan.tails, plan, fresh: created.size > 0 };
  }
}
