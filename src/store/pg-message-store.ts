// MessageStore on PostgreSQL (real server through adapter-pg, or embedded PGlite) via Prisma raw SQL.
// Tables (prisma/schema.prisma):
//   "MessageChunk"  closed chunks: { roomId, firstSeq, lastSeq, bucket, count, bytes, messages jsonb[] }
//   "MessageTail"   the open chunk's messages, one row each, folded into a "MessageChunk" row when
//                   the chunk closes. Appending to a jsonb array rewrites and recompresses the whole
//                   TOASTed value: measured ~120 µs (lz4) to ~360 µs (pglz, the default and PGlite's
//                   only choice) per append to a growing 100-message chunk, against ~6 µs for a row
//                   insert. Over 100 rooms a batch rarely holds two messages of one room, so that is
//                   one rewrite per message: 0.6–1.8 cores of PostgreSQL at 5,000 sends/s.
//   "MessageHead"   per room: seq counter, the open chunk's state, lastMessage (for heads()).
//   "MessageKey"    (roomId, senderId, clientMsgId) -> seq.
//
// Write path: group commit (group-commit.ts; lanes = rooms). One call per batch of the
// message_batch_write function (pg-message-batch.ts, its migration): lock the batch's heads in
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
// Every message and every change to one moves the room's rev (MessageHead.rev) by one in the same
// transaction; the batch statement checks the rev as well as lastSeq it planned from. Edits,
// deletions, reactions and pins change a message in place: pg-message-change.ts.

import DataLoader from "dataloader";

import type { Message } from "../domain/message.js";
import type {
  AppendResult, ChangeResult, ChangesPage, MessageChange, MessageDraft, MessagePage, MessageStore, RoomHead, SentRef,
} from "../domain/ports/message-store.js";
import { statementRunner, type Prisma, type PlainSql, type StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";
import { GroupCommit, type CommitObserver } from "./group-commit.js";
import { MessageHeadCache } from "./message-head-cache.js";
import { planBatch, writePlan, type HeadRow, type RunStatement } from "./pg-message-batch.js";
import { changeMessages, deleteMessages, type ChangeDone } from "./pg-message-change.js";
import { changedSince, lookup, lookupMany, pageOf, sentByPage } from "./pg-message-reads.js";
import {
  checkDraft, checkRoomId, checkSentByQuery, checkSeq, DEFAULT_CHUNK_LIMITS, pageRange, toMessage,
  type ChunkLimits, type ChunkSummary, type PageQuery, type StoredMessage,
} from "./message-chunks.js";

/** Chunks close between 75 % and 100 % of maxCount (see closesAt in pg-message-batch.ts). */
export const FOLD_SPREAD = 0.25;

export interface PgMessageStoreOptions {
  limits?: Partial<ChunkLimits>;
  /** Share of maxCount by which a chunk may close early (default FOLD_SPREAD; 0: exactly at maxCount). */
  foldSpread?: number;
  /** Batch transactions at once (default 4). PGlite has one connection: 1 is enough there. */
  maxInFlight?: number;
  /** Most appends in one transaction (default 500). */
  maxBatch?: number;
  /**
   * Runs the batch write when it is its own transaction (the remembered-heads way), past Prisma's
   * query layer (Database.messageWrites). Without it, through Prisma.
   */
  writes?: PlainSql | null;
  /** Runs the reads past Prisma (Database.sql): heads, pages, lookups and changes are on every send, reply and catch-up. */
  reads?: PlainSql | null;
  /** Told each group commit's timings (metrics). */
  observer?: CommitObserver;
}

interface Pending {
  draft: MessageDraft;
  now: Date;
}

/** A change to one stored message, queued in its room's lane like an append. */
interface PendingChange {
  change: { roomId: string; seq: number; change: MessageChange };
  now: Date;
}

type Queued = Pending | PendingChange;
const isChange = (q: Queued): q is PendingChange => "change" in q;

/** A batch's outcomes (one per item, in order) and where it left its rooms' heads. */
interface Written {
  outcomes: Outcome[];
  heads: HeadRow[];
}

/** created: stored by this batch; repeat: its key was taken in this batch; stored: taken earlier. */
type Outcome = { kind: "created" | "repeat"; message: Message } | { kind: "stored"; seq: number };

/** A change's outcome, or the error that change alone (or its commit's changes) failed with. */
type ChangeOutcome = { kind: "changed"; result: ChangeDone };

// jsonb_to_recordset / jsonb_array_elements_text sources carry a LIMIT of their exact count: the
// planner guesses such a function at 100 rows, and the true number makes it join through indexes.

// Seqs and revs are int4 columns: a larger position (the wire allows any safe integer) means the
// same as the largest, and must not reach SQL as an out-of-range cast.
const INT4_MAX = 2_147_483_647;
const toInt4 = (n: number) => Math.min(n, INT4_MAX);

const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 };
const keyOf = (d: MessageDraft) => JSON.stringify([d.roomId, d.senderId, d.clientMsgId]);

export class PgMessageStore implements MessageStore {
  private readonly limits: ChunkLimits;
  private readonly foldSpread: number;
  private readonly group: GroupCommit<Queued, Outcome | ChangeOutcome>;
  private closed = false;
  /** Rooms whose head row surely exists (so the batch transaction never has to create one). */
  private readonly knownHeads = new Set<string>();
  private readonly headCache = new MessageHeadCache();

  private readonly headLoader = new DataLoader<string, RoomHead>((ids) => this.readHeads(ids), { cache: false, maxBatchSize: 1_000 });

  /** Runs one statement as its own transaction. */
  private readonly runAlone: StatementRunner;
  private readonly runRead: StatementRunner;

  constructor(private readonly prisma: Prisma, options: PgMessageStoreOptions = {}) {
    this.limits = { ...DEFAULT_CHUNK_LIMITS, ...options.limits };
    this.foldSpread = options.foldSpread ?? FOLD_SPREAD;
    this.runAlone = statementRunner(prisma, options.writes);
    this.runRead = statementRunner(prisma, options.reads);
    this.group = new GroupCommit((batch) => this.commitQueued(batch), (q) => (isChange(q) ? q.change.roomId : q.draft.roomId), {
      maxInFlight: options.maxInFlight ?? 4,
      maxBatch: options.maxBatch ?? 500,
      observer: options.observer,
    });
  }

  async append(draft: MessageDraft, now: Date): Promise<AppendResult> {
    if (this.closed) throw new Error("message store is closed");
    checkDraft(draft);
    const outcome = (await this.group.submit({ draft, now })) as Outcome;
    if (outcome.kind !== "stored") return { message: outcome.message, created: outcome.kind === "created" };
    const message = await this.get(draft.roomId, outcome.seq);
    if (!message) throw new Error(`message ${draft.roomId}:${outcome.seq} has a key but is missing`);
    return { message, created: false };
  }

  /**
   * One turn of the group commit: the appends as one batch statement, then the changes as one
   * more. Changes share the appends' lanes because a change moves the room's rev: committed on its
   * own beside a batch of the same room, it made that batch's remembered head stale, the batch
   * failed over to the locked way and the two queued on the head's row lock (measured: 358 acked/s
   * of 1,000 offered with a fifth of the traffic reactions and edits, docs/performance.md).
   */
  private async commitQueued(batch: Queued[]): Promise<(Outcome | ChangeOutcome)[]> {
    const appends = batch.filter((q): q is Pending => !isChange(q));
    const appended = appends.length ? await this.commitBatch(appends) : [];
    const changes = batch.filter(isChange);
    let changed: ChangeDone[] = [];
    if (changes.length) {
      try {
        // The read too goes through the commits' own connections: on the shared read pool it queued
        // behind replies' and mentions' statements, and the room's lane waited with it (mixed
        // benchmark at 1,000 events/s: commit p50 433 ms that way, 43 ms this way).
        const done = await changeMessages(this.runAlone, changes.map((q) => ({ ...q.change, now: q.now })));
        changed = done.results;
        // The heads' revs moved: what this process remembers of them follows, so its next batch of
        // the room still goes the one-round-trip way (the batch statement checks it anyway).
        for (const [roomId, head] of done.heads) this.headCache.changed(roomId, head);
      } catch (error) {
        // The appends have committed; the changes fail together, each with this error.
        changed = changes.map(() => ({ error }));
      }
    }
    let a = 0;
    let c = 0;
    return batch.map((q) => (isChange(q) ? { kind: "changed" as const, result: changed[c++]! } : appended[a++]!));
  }

  private async commitBatch(batch: Pending[], checkKeys = false): Promise<Outcome[]> {
    const rooms = [...new Set(batch.map((p) => p.draft.roomId))];
    const unknown = rooms.filter((r) => !this.knownHeads.has(r)).sort();
    if (unknown.length > 0) {
      // Outside the batch transaction, so head creation can never interleave with head locking.
      await this.prisma.$executeRaw`
        INSERT INTO "MessageHead" ("roomId", "lastSeq", "openFirstSeq", "openBucket", "openCount", "openBytes")
        SELECT r, 0, 1, to_timestamp(0), 0, 0 FROM jsonb_array_elements_text(${JSON.stringify(unknown)}::jsonb) AS r
        ORDER BY r ON CONFLICT ("roomId") DO NOTHING`;
      if (this.knownHeads.size > 100_000) this.knownHeads.clear();
      for (const r of unknown) this.knownHeads.add(r);
    }
    if (!checkKeys) {
      const cached = this.headCache.get(rooms);
      if (cached) {
        try {
          const { outcomes, heads } = await this.write(this.runAlone, batch, cached, new Map());
          this.headCache.remember(heads);
          return outcomes;
        } catch {
          // The head moved (another node wrote), a key was taken (a retried clientMsgId), or the
          // write failed: nothing was written. Again, under the heads' locks, looking keys up first.
          this.headCache.forget(rooms);
          return (await this.commitLocked(batch, rooms, true)).outcomes;
        }
      }
    }
    try {
      const { outcomes, heads } = await this.commitLocked(batch, rooms, checkKeys);
      this.headCache.remember(heads);
      return outcomes;
    } catch (error) {
      // Most likely a key taken by an earlier batch: look the keys up, then write the rest.
      if (!checkKeys) return (await this.commitLocked(batch, rooms, true)).outcomes;
      throw error;
    }
  }

  /** Reads and locks the heads (in roomId order, so batches of several nodes never deadlock), then writes. */
  private commitLocked(batch: Pending[], rooms: string[], checkKeys: boolean): Promise<Written> {
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
  private async write(run: RunStatement, batch: Pending[], heads: HeadRow[], stored: Map<string, number>): Promise<Written> {
    const outcomes = new Map<Pending, Outcome>();
    const first = new Map<string, Pending>();
    for (const p of batch) {
      if (p.draft.clientMsgId === null) continue;
      const key = keyOf(p.draft);
      const seq = stored.get(key);
      if (seq !== undefined) outcomes.set(p, { kind: "stored", seq });
      else if (!first.has(key)) first.set(key, p);
    }
    const fresh = batch.filter((p) => !outcomes.has(p) && (p.draft.clientMsgId === null || first.get(keyOf(p.draft)) === p));
    const created = new Map<Pending, Message>();
    const plan = planBatch(heads, fresh, this.limits, created, this.foldSpread);
    if (fresh.length > 0) await writePlan(run, plan);
    for (const [p, message] of created) outcomes.set(p, { kind: "created", message });
    const inOrder = batch.map((p) => {
      const own = outcomes.get(p);
      if (own) return own;
      const original = outcomes.get(first.get(keyOf(p.draft))!) as { message: Message };
      return { kind: "repeat" as const, message: original.message };
    });
    return { outcomes: inOrder, heads: plan.heads };
  }

  async page(roomId: string, q: PageQuery, viewerId?: string): Promise<MessagePage> {
    checkRoomId(roomId);
    pageRange(q, 0); // validates the query before it reaches SQL
    const before = q.before === undefined ? null : toInt4(q.before);
    const after = q.after === undefined ? null : toInt4(q.after);
    const [row] = await this.runRead<{ last: number; messages: StoredMessage[] | null }>(pageOf(roomId, before, after, q.limit));
    const { lo, hi, hasMore } = pageRange(q, row?.last ?? 0);
    const messages = (row?.messages ?? []).filter((m) => m.seq >= lo && m.seq <= hi).map((m) => toMessage(roomId, m, viewerId));
    return { messages, hasMore };
  }

  async get(roomId: string, seq: number, viewerId?: string): Promise<Message | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const rows = await this.runRead<{ m: StoredMessage | null }>(lookup(roomId, seq));
    const m = rows[0]?.m;
    return m && m.seq === seq ? toMessage(roomId, m, viewerId) : null;
  }

  async getMany(roomId: string, seqs: number[], viewerId?: string): Promise<Message[]> {
    checkRoomId(roomId);
    seqs.forEach(checkSeq);
    if (seqs.length === 0) return [];
    const rows = await this.runRead<{ m: StoredMessage | null }>(lookupMany(roomId, seqs));
    return rows
      .flatMap((r) => (r.m ? [r.m] : []))
      .sort((a, b) => a.seq - b.seq)
      .map((m) => toMessage(roomId, m, viewerId));
  }

  async change(roomId: string, seq: number, change: MessageChange, now: Date, viewerId?: string): Promise<ChangeResult | null> {
    if (this.closed) throw new Error("message store is closed");
    checkRoomId(roomId);
    checkSeq(seq);
    const { result } = (await this.group.submit({ change: { roomId, seq, change }, now })) as ChangeOutcome;
    if (!result) return null;
    if ("error" in result) throw result.error;
    return { message: toMessage(roomId, result.after ?? result.before, viewerId), changed: result.after !== null };
  }

  async deleteMany(roomId: string, seqs: number[], now: Date): Promise<Message[]> {
    const deleted = await deleteMessages(this.prisma, roomId, seqs, now, TX_OPTIONS);
    if (deleted.length) this.headCache.drop([roomId]);
    return deleted.map((m) => toMessage(roomId, m));
  }

  async changes(roomId: string, q: { afterRev: number; limit: number; maxSeq?: number }, viewerId?: string): Promise<ChangesPage> {
    checkRoomId(roomId);
    checkSeq(q.afterRev);
    if (q.maxSeq !== undefined) checkSeq(q.maxSeq);
    if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new Error("limit must be a positive integer");
    const [row] = await this.runRead<{ rev: number | null; messages: StoredMessage[] | null }>(
      changedSince(roomId, toInt4(q.afterRev), q.limit, q.maxSeq === undefined ? null : toInt4(q.maxSeq)),
    );
    const all = row?.messages ?? [];
    const hasMore = all.length > q.limit;
    const messages = all.slice(0, q.limit).map((m) => toMessage(roomId, m, viewerId));
    return { messages, rev: hasMore ? messages.at(-1)!.rev : (row?.rev ?? 0), hasMore };
  }

  async pinned(roomId: string, viewerId?: string): Promise<Message[]> {
    checkRoomId(roomId);
    const [head] = await this.runRead<{ pinnedSeqs: number[] | null }>(Sql.sql`SELECT "pinnedSeqs" FROM "MessageHead" WHERE "roomId" = ${roomId}`);
    const pins = head?.pinnedSeqs ?? [];
    const bySeq = new Map((await this.getMany(roomId, pins, viewerId)).map((m) => [m.seq, m]));
    return [...pins].reverse().flatMap((s) => {
      const m = bySeq.get(s);
      return m?.pinnedAt ? [m] : [];
    });
  }

  /** Every caller's rooms of one tick in one query (receipts and room lists ask for a few each, often). */
  async heads(roomIds: string[]): Promise<Map<string, RoomHead>> {
    for (const id of roomIds) checkRoomId(id);
    const ids = [...new Set(roomIds)];
    const heads = await Promise.all(ids.map((id) => this.headLoader.load(id)));
    return new Map(ids.map((id, i) => [id, heads[i]!]));
  }

  async sentBy(senderId: string, q: { after?: SentRef; limit: number }): Promise<SentRef[]> {
    checkSentByQuery(senderId, q);
    const after = q.after ? { roomId: q.after.roomId, seq: toInt4(q.after.seq) } : null;
    return this.prisma.$queryRaw<SentRef[]>(sentByPage(senderId, after, q.limit));
  }

  private async readHeads(roomIds: readonly string[]): Promise<RoomHead[]> {
    const rows = await this.runRead<{ roomId: string; lastSeq: number; rev: number; lastMessage: StoredMessage | null }>(Sql.sql`
      SELECT "roomId", "lastSeq", rev, "lastMessage" FROM "MessageHead"
      WHERE "roomId" IN (SELECT jsonb_array_elements_text(${JSON.stringify(roomIds)}::jsonb) LIMIT ${roomIds.length}::int)`);
    const found = new Map(rows.map((r) => [r.roomId, { lastSeq: r.lastSeq, rev: r.rev, lastMessage: r.lastMessage ? toMessage(r.roomId, r.lastMessage) : null }]));
    return roomIds.map((id) => found.get(id) ?? { lastSeq: 0, rev: 0, lastMessage: null });
  }

  /** Not part of the port: the room's chunks, oldest first, the open one (tail rows) included (tests, tools). */
  async chunkSummaries(roomId: string): Promise<ChunkSummary[]> {
    const rows = await this.prisma.$queryRaw<(Omit<ChunkSummary, "bucket"> & { bucket: Date })[]>`
      SELECT "firstSeq", "lastSeq", count, bytes, bucket FROM "MessageChunk" WHERE "roomId" = ${roomId}
      UNION ALL
      SELECT "openFirstSeq", "lastSeq", "openCount", "openBytes", "openBucket" FROM "MessageHead" WHERE "roomId" = ${roomId} AND "openCount" > 0
      ORDER BY 1`;
    return rows.map((r) => ({ ...r, bucket: new Date(r.bucket).toISOString() }));
  }

  /** Stops taking appends and waits for queued ones; the Prisma client belongs to the caller. */
  async close(): Promise<void> {
    this.closed = true;
    await this.group.drained();
  }
}
