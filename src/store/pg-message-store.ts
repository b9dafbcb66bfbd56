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
// Write path: group commit (group-commit.ts; lanes = rooms). Each turn writes the appends as one
// call of the message_append function (pg-message-appends.ts says how) and the turn's changes
// with message_changes (pg-message-change.ts); when the turn holds both and the appends go the
// remembered way, both in one call of message_commit. Changes to messages this process wrote last
// are planned without reading them (recent-messages.ts).
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
import { MessageAppends, TX_OPTIONS, type AppendOutcome, type PendingAppend } from "./pg-message-appends.js";
import { planArguments } from "./pg-message-batch.js";
import { RecentMessages } from "./recent-messages.js";
import { changeMessages, deleteMessages, stageChanges, type ChangeDone, type ChangeRequest, type HeadAfter } from "./pg-message-change.js";
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

/** A change to one stored message, queued in its room's lane like an append. */
interface PendingChange {
  change: { roomId: string; seq: number; change: MessageChange };
  now: Date;
}

type Queued = PendingAppend | PendingChange;
const isChange = (q: Queued): q is PendingChange => "change" in q;

/** A change's outcome, or the error that change alone (or its commit's changes) failed with. */
type ChangeOutcome = { kind: "changed"; result: ChangeDone };

// jsonb_to_recordset / jsonb_array_elements_text sources carry a LIMIT of their exact count: the
// planner guesses such a function at 100 rows, and the true number makes it join through indexes.

// Seqs and revs are int4 columns: a larger position (the wire allows any safe integer) means the
// same as the largest, and must not reach SQL as an out-of-range cast.
const INT4_MAX = 2_147_483_647;
const toInt4 = (n: number) => Math.min(n, INT4_MAX);


export class PgMessageStore implements MessageStore {
  /**
   * Mention and reply entries go in with the message (message_append): same database as the
   * indexes. A reply to a seq the room has not reached is refused when its batch is planned.
   */
  readonly indexesWithMessages = true;
  private readonly appends: MessageAppends;
  private readonly group: GroupCommit<Queued, AppendOutcome | ChangeOutcome>;
  private closed = false;
  private readonly headCache = new MessageHeadCache();
  private readonly recent = new RecentMessages();

  private readonly headLoader = new DataLoader<string, RoomHead>((ids) => this.readHeads(ids), { cache: false, maxBatchSize: 1_000 });

  /** Runs one statement as its own transaction. */
  private readonly runAlone: StatementRunner;
  private readonly runRead: StatementRunner;

  constructor(private readonly prisma: Prisma, options: PgMessageStoreOptions = {}) {
    this.runAlone = statementRunner(prisma, options.writes);
    const limits = { ...DEFAULT_CHUNK_LIMITS, ...options.limits };
    this.appends = new MessageAppends(prisma, this.runAlone, this.headCache, this.recent, limits, options.foldSpread ?? FOLD_SPREAD);
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
    const outcome = (await this.group.submit({ draft, now })) as AppendOutcome;
    if (outcome.kind === "refused") throw outcome.error;
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
  private async commitQueued(batch: Queued[]): Promise<(AppendOutcome | ChangeOutcome)[]> {
    const appends = batch.filter((q): q is PendingAppend => !isChange(q));
    const changes = batch.filter(isChange).map((q) => ({ ...q.change, now: q.now }));
    const together = appends.length && changes.length ? await this.commitTogether(appends, changes) : null;
    const appended = together?.appended ?? (appends.length ? await this.appends.commit(appends) : []);
    let changed = together?.changed ?? [];
    if (changes.length && !together) {
      try {
        // The read too goes through the commits' own connections: on the shared read pool it queued
        // behind replies' and mentions' statements, and the room's lane waited with it (mixed
        // benchmark at 1,000 events/s: commit p50 433 ms that way, 43 ms this way).
        const done = await changeMessages(this.runAlone, changes, this.recent);
        changed = done.results;
        this.headsChanged(done.heads);
      } catch (error) {
        // The appends have committed; the changes fail together, each with this error.
        changed = changes.map(() => ({ error }));
      }
    }
    let a = 0;
    let c = 0;
    return batch.map((q) => (isChange(q) ? { kind: "changed" as const, result: changed[c++]! } : appended[a++]!));
  }

  /**
   * A turn's appends and changes in one statement (message_commit, migration 20261206070000): one
   * round trip and one transaction where they were two, when the appends can go the remembered
   * way. null when they cannot, or when the statement failed (a head moved, a key was taken, a
   * change lost a race: nothing was written): the caller then commits them one after the other,
   * each with its own recovery.
   */
  private async commitTogether(appends: PendingAppend[], changes: ChangeRequest[]): Promise<{ appended: AppendOutcome[]; changed: ChangeDone[] } | null> {
    const prepared = await this.appends.prepare(appends);
    if (!prepared) return null;
    const staged = await stageChanges(this.runAlone, changes, this.recent);
    if (!staged.writes.length) return null;
    let rows: HeadAfter[];
    try {
      rows = await this.runAlone<HeadAfter>(Sql.sql`SELECT * FROM message_commit(${planArguments(prepared.plan)}, ${JSON.stringify(staged.writes)}::jsonb)`);
    } catch {
      for (const c of changes) this.recent.forget(c.roomId, c.seq);
      return null;
    }
    prepared.committed();
    this.headsChanged(staged.finish(rows));
    return { appended: prepared.outcomes, changed: staged.results };
  }

  /**
   * Changes moved these heads' revs: what this process remembers of them follows, so its next
   * batch of the room still goes the one-round-trip way (the batch statement checks it anyway).
   */
  private headsChanged(heads: Map<string, HeadAfter>): void {
    for (const [roomId, head] of heads) this.headCache.changed(roomId, head);
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
    for (const m of deleted) this.recent.forget(roomId, m.seq);
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
