// MessageStore on PostgreSQL (real server through adapter-pg, or embedded PGlite) via Prisma raw SQL.
// Tables (prisma/schema.prisma): "MessageChunk" (one row per chunk, messages in a jsonb array),
// "MessageHead" (per room: seq counter, open chunk state, lastMessage), "MessageKey" (idempotency).
//
// Write path: group commit. Concurrent appends queue up; up to `maxInFlight` transactions run at
// once, each taking everything queued (up to `maxBatch`). One transaction per batch:
//   1. SELECT … FOR NO KEY UPDATE the heads of the batch's rooms, in roomId order (no deadlocks
//      between batches): from here to COMMIT nobody else allocates seqs in those rooms;
//   2. look up the batch's clientMsgIds in "MessageKey" (only under the head lock is that
//      check-then-insert safe: every key insert happens under its room's head lock);
//   3. one statement: append to each open chunk (messages || new), insert new chunks, insert keys,
//      advance the heads.
// Seqs are head.lastSeq + 1 … in queue order, committed together: commit order is seq order and
// a duplicate never consumes a seq. Each append resolves only after its COMMIT. If a batch fails,
// each of its appends is retried alone, so one bad draft fails only itself.
// Caveat: if the connection dies during COMMIT, the outcome is unknown; the individual retry then
// finds a clientMsgId'd message already stored and answers created=false (no duplicate, but the
// caller will not broadcast it), and a message without clientMsgId (system) may be stored twice.

import type { Message } from "../domain/message.js";
import type { AppendResult, MessageDraft, MessagePage, MessageStore, RoomHead } from "../domain/ports/message-store.js";
import type { Prisma } from "./database.js";
import {
  bucketOf, checkDraft, checkRoomId, checkSeq, checkStorable, DEFAULT_CHUNK_LIMITS, pageRange, storedBytes, toMessage, toStored,
  type ChunkLimits, type ChunkSummary, type PageQuery, type StoredMessage,
} from "./message-chunks.js";

export interface PgMessageStoreOptions {
  limits?: Partial<ChunkLimits>;
  /** Concurrent batch transactions. 1 on PGlite (one connection); a few on a real server. */
  maxInFlight?: number;
  /** Most appends committed by one transaction. */
  maxBatch?: number;
}

interface Pending {
  draft: MessageDraft;
  now: Date;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface HeadRow {
  roomId: string;
  lastSeq: number;
  openFirstSeq: number;
  openBucket: Date;
  openCount: number;
  openBytes: number;
}

type Tx = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];
type Outcome = { kind: "created"; message: Message } | { kind: "stored"; roomId: string; seq: number } | { kind: "same"; as: Pending };

const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 };
const keyOf = (d: MessageDraft) => JSON.stringify([d.roomId, d.senderId, d.clientMsgId]);

export class PgMessageStore implements MessageStore {
  private readonly limits: ChunkLimits;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private queue: Pending[] = [];
  private inFlight = 0;
  private pumpScheduled = false;
  private closed = false;
  private idle: (() => void)[] = [];
  /** Rooms whose head row surely exists (so the batch transaction never has to create one). */
  private readonly knownHeads = new Set<string>();

  constructor(private readonly prisma: Prisma, options: PgMessageStoreOptions = {}) {
    this.limits = { ...DEFAULT_CHUNK_LIMITS, ...options.limits };
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxBatch = options.maxBatch ?? 500;
  }

  append(draft: MessageDraft, now: Date): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error("message store is closed"));
    try {
      checkDraft(draft);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, now, resolve, reject });
      if (!this.pumpScheduled) {
        this.pumpScheduled = true;
        // After this turn's I/O callbacks: appends arriving together go into one batch.
        setImmediate(() => {
          this.pumpScheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.pump();
        else if (this.inFlight === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    let outcomes: Map<Pending, Outcome>;
    try {
      outcomes = await this.commitBatch(batch);
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      for (const one of batch) await this.runBatch([one]); // each fails or succeeds on its own
      return;
    }
    const settle = async (p: Pending, o: Outcome): Promise<AppendResult> => {
      if (o.kind === "created") return { message: o.message, created: true };
      if (o.kind === "same") return { message: (await settle(o.as, outcomes.get(o.as)!)).message, created: false };
      const message = await this.get(o.roomId, o.seq);
      if (!message) throw new Error(`message ${o.roomId}:${o.seq} has a key but is missing`);
      return { message, created: false };
    };
    await Promise.all(batch.map((p) => settle(p, outcomes.get(p)!).then(p.resolve, p.reject)));
  }

  private async commitBatch(batch: Pending[]): Promise<Map<Pending, Outcome>> {
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
    return this.prisma.$transaction(async (tx) => {
      const heads = await tx.$queryRaw<HeadRow[]>`
        SELECT "roomId", "lastSeq", "openFirstSeq", "openBucket", "openCount", "openBytes" FROM "MessageHead"
        WHERE "roomId" IN (SELECT jsonb_array_elements_text(${JSON.stringify(rooms)}::jsonb))
        ORDER BY "roomId" FOR NO KEY UPDATE`;
      if (heads.length !== rooms.length) throw new Error("message head rows are missing");

      const outcomes = new Map<Pending, Outcome>();
      const keyed = batch.filter((p) => p.draft.clientMsgId !== null);
      if (keyed.length > 0) {
        const wanted = keyed.map((p) => ({ r: p.draft.roomId, s: p.draft.senderId, c: p.draft.clientMsgId }));
        const found = await tx.$queryRaw<{ roomId: string; senderId: string; clientMsgId: string; seq: number }[]>`
          SELECT k."roomId", k."senderId", k."clientMsgId", k.seq
          FROM jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb) AS w(r text, s text, c text)
          JOIN "MessageKey" k ON k."roomId" = w.r AND k."senderId" = w.s AND k."clientMsgId" = w.c`;
        const stored = new Map(found.map((k) => [JSON.stringify([k.roomId, k.senderId, k.clientMsgId]), k.seq]));
        const first = new Map<string, Pending>();
        for (const p of keyed) {
          const key = keyOf(p.draft);
          const seq = stored.get(key);
          const earlier = first.get(key);
          if (seq !== undefined) outcomes.set(p, { kind: "stored", roomId: p.draft.roomId, seq });
          else if (earlier) outcomes.set(p, { kind: "same", as: earlier });
          else first.set(key, p);
        }
      }
      await this.write(tx, heads, batch.filter((p) => !outcomes.has(p)), outcomes);
      return outcomes;
    }, TX_OPTIONS);
  }

  /** Plans seqs and chunk placement for the new messages, then writes everything in one statement. */
  private async write(tx: Tx, heads: HeadRow[], fresh: Pending[], outcomes: Map<Pending, Outcome>): Promise<void> {
    if (fresh.length === 0) return;
    const { maxCount, maxBytes } = this.limits;
    type Chunk = { roomId: string; firstSeq: number; prevLast: number; lastSeq: number; bucket: number; count: number; bytes: number; add: StoredMessage[] };
    const byRoom = new Map(
      heads.map((h) => [h.roomId, { ...h, openBucket: new Date(h.openBucket).getTime(), last: null as StoredMessage | null, cur: null as Chunk | null }]),
    );
    const updates: Chunk[] = []; // appends to open chunks that exist already
    const inserts: Chunk[] = [];
    const keys: { roomId: string; senderId: string; clientMsgId: string; seq: number }[] = [];
    for (const p of fresh) {
      const h = byRoom.get(p.draft.roomId)!;
      const element = toStored(p.draft, ++h.lastSeq, p.now);
      const bytes = storedBytes(element);
      const bucket = bucketOf(p.now, this.limits).getTime();
      const fits = h.openCount > 0 && h.openBucket === bucket && h.openCount < maxCount && h.openBytes + bytes <= maxBytes;
      let chunk = h.cur;
      if (fits && !chunk) {
        // The first message of this batch for the room's existing open chunk.
        chunk = { roomId: h.roomId, firstSeq: h.openFirstSeq, prevLast: element.seq - 1, lastSeq: 0, bucket, count: h.openCount, bytes: h.openBytes, add: [] };
        updates.push(chunk);
      } else if (!fits) {
        chunk = { roomId: h.roomId, firstSeq: element.seq, prevLast: 0, lastSeq: 0, bucket, count: 0, bytes: 0, add: [] };
        inserts.push(chunk);
        h.openFirstSeq = element.seq;
        h.openBucket = bucket;
        h.openCount = 0;
        h.openBytes = 0;
      }
      h.cur = chunk!;
      chunk!.add.push(element);
      chunk!.lastSeq = element.seq;
      chunk!.count++;
      chunk!.bytes += bytes;
      h.openCount++;
      h.openBytes += bytes;
      h.last = element;
      if (p.draft.clientMsgId !== null) keys.push({ roomId: h.roomId, senderId: p.draft.senderId, clientMsgId: p.draft.clientMsgId, seq: element.seq });
      outcomes.set(p, { kind: "created", message: toMessage(h.roomId, element) });
    }
    const upd = updates.map(({ bucket: _, ...c }) => c);
    const ins = inserts.map((c) => ({ ...c, bucket: new Date(c.bucket).toISOString() }));
    const hd = [...byRoom.values()].filter((h) => h.last).map(({ cur: _, ...h }) => ({ ...h, openBucket: new Date(h.openBucket).toISOString() }));
    const [counts] = await tx.$queryRaw<{ u: number; i: number; k: number; h: number }[]>`
      WITH u AS (
        UPDATE "MessageChunk" c SET messages = c.messages || v.add, "lastSeq" = v."lastSeq", count = v.count, bytes = v.bytes
        FROM jsonb_to_recordset(${JSON.stringify(upd)}::jsonb)
          AS v("roomId" text, "firstSeq" int, "prevLast" int, "lastSeq" int, count int, bytes int, add jsonb)
        WHERE c."roomId" = v."roomId" AND c."firstSeq" = v."firstSeq" AND c."lastSeq" = v."prevLast"
        RETURNING 1
      ), i AS (
        INSERT INTO "MessageChunk" ("roomId", "firstSeq", "lastSeq", bucket, count, bytes, messages)
        SELECT v."roomId", v."firstSeq", v."lastSeq", v.bucket, v.count, v.bytes, v.add
        FROM jsonb_to_recordset(${JSON.stringify(ins)}::jsonb)
          AS v("roomId" text, "firstSeq" int, "lastSeq" int, bucket timestamptz, count int, bytes int, add jsonb)
        RETURNING 1
      ), k AS (
        INSERT INTO "MessageKey" ("roomId", "senderId", "clientMsgId", seq)
        SELECT v."roomId", v."senderId", v."clientMsgId", v.seq
        FROM jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) AS v("roomId" text, "senderId" text, "clientMsgId" text, seq int)
        RETURNING 1
      ), h AS (
        UPDATE "MessageHead" t SET "lastSeq" = v."lastSeq", "lastMessage" = v.last, "openFirstSeq" = v."openFirstSeq",
          "openBucket" = v."openBucket", "openCount" = v."openCount", "openBytes" = v."openBytes"
        FROM jsonb_to_recordset(${JSON.stringify(hd)}::jsonb) AS v("roomId" text, "lastSeq" int, last jsonb,
          "openFirstSeq" int, "openBucket" timestamptz, "openCount" int, "openBytes" int)
        WHERE t."roomId" = v."roomId"
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM u)::int AS u, (SELECT count(*) FROM i)::int AS i,
             (SELECT count(*) FROM k)::int AS k, (SELECT count(*) FROM h)::int AS h`;
    if (!counts || counts.u !== upd.length || counts.i !== ins.length || counts.k !== keys.length || counts.h !== hd.length) {
      throw new Error(`message chunk write did not match its plan: ${JSON.stringify(counts)}`); // rolls back
    }
  }

  async page(roomId: string, q: PageQuery): Promise<MessagePage> {
    checkRoomId(roomId);
    pageRange(q, 0); // validates the query before it reaches SQL
    const before = q.before ?? null;
    const after = q.after ?? null;
    // The same range as pageRange(), computed next to the head row so the page is one round trip.
    const [row] = await this.prisma.$queryRaw<{ last: number; messages: StoredMessage[] | null }[]>`
      WITH h AS (
        SELECT coalesce(max("lastSeq"), 0) AS last FROM "MessageHead" WHERE "roomId" = ${roomId}
      ), c AS (
        SELECT last, least(coalesce(${before}::int - 1, last), last) AS ceil FROM h
      ), r AS (
        SELECT last,
          CASE WHEN ${after}::int IS NULL THEN greatest(1, ceil - ${q.limit}::int + 1) ELSE greatest(${after}::int, 0) + 1 END AS lo,
          CASE WHEN ${after}::int IS NULL THEN ceil ELSE least(greatest(${after}::int, 0) + ${q.limit}::int, ceil) END AS hi
        FROM c
      )
      SELECT r.last, (
        SELECT jsonb_agg(e.m ORDER BY ch."firstSeq", e.i)
        FROM "MessageChunk" ch CROSS JOIN LATERAL jsonb_array_elements(ch.messages) WITH ORDINALITY AS e(m, i)
        WHERE ch."roomId" = ${roomId} AND ch."firstSeq" <= r.hi
          AND ch."firstSeq" >= (SELECT max(x."firstSeq") FROM "MessageChunk" x WHERE x."roomId" = ${roomId} AND x."firstSeq" <= r.lo)
          AND ch."firstSeq" + e.i - 1 BETWEEN r.lo AND r.hi
      ) AS messages FROM r`;
    const { lo, hi, hasMore } = pageRange(q, row?.last ?? 0);
    const messages = (row?.messages ?? []).filter((m) => m.seq >= lo && m.seq <= hi).map((m) => toMessage(roomId, m));
    return { messages, hasMore };
  }

  async get(roomId: string, seq: number): Promise<Message | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const rows = await this.prisma.$queryRaw<{ m: StoredMessage | null }[]>`
      SELECT messages -> (${seq}::int - "firstSeq") AS m FROM "MessageChunk"
      WHERE "roomId" = ${roomId} AND "firstSeq" <= ${seq}::int ORDER BY "firstSeq" DESC LIMIT 1`;
    const m = rows[0]?.m;
    return m && m.seq === seq ? toMessage(roomId, m) : null;
  }

  /** Editing a deleted message changes nothing and returns it as it is (with deletedAt); the domain refuses that before. */
  edit(roomId: string, seq: number, text: string, now: Date): Promise<Message | null> {
    checkStorable(text, "text");
    return this.modify(roomId, seq, { text, editedAt: now.toISOString() });
  }

  /** Deleting twice keeps the first deletedAt. */
  delete(roomId: string, seq: number, now: Date): Promise<Message | null> {
    return this.modify(roomId, seq, { text: "", attachments: [], deletedAt: now.toISOString() });
  }

  private async modify(roomId: string, seq: number, patch: Partial<StoredMessage>): Promise<Message | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const m = await this.prisma.$transaction(async (tx) => {
      // Head first, then chunk: the appenders' lock order, so edits and appends never deadlock.
      const head = await tx.$queryRaw<{ lastSeq: number }[]>`
        SELECT "lastSeq" FROM "MessageHead" WHERE "roomId" = ${roomId} FOR NO KEY UPDATE`;
      if (!head[0] || seq < 1 || seq > head[0].lastSeq) return null;
      const changed = await tx.$queryRaw<{ m: StoredMessage }[]>`
        WITH c AS (
          SELECT "firstSeq", ${seq}::int - "firstSeq" AS i FROM "MessageChunk"
          WHERE "roomId" = ${roomId} AND "firstSeq" <= ${seq}::int ORDER BY "firstSeq" DESC LIMIT 1
        )
        UPDATE "MessageChunk" t SET
          messages = jsonb_set(t.messages, ARRAY[c.i::text], (t.messages -> c.i) || ${JSON.stringify(patch)}::jsonb),
          bytes = t.bytes - octet_length((t.messages -> c.i)::text) + octet_length(((t.messages -> c.i) || ${JSON.stringify(patch)}::jsonb)::text)
        FROM c WHERE t."roomId" = ${roomId} AND t."firstSeq" = c."firstSeq" AND NOT ((t.messages -> c.i) ? 'deletedAt')
        RETURNING t.messages -> c.i AS m`;
      const m = changed[0]?.m;
      if (!m) return (await this.getIn(tx, roomId, seq)) ?? null; // deleted already: unchanged
      if (head[0].lastSeq === seq) {
        await tx.$executeRaw`UPDATE "MessageHead" SET "lastMessage" = ${JSON.stringify(m)}::jsonb WHERE "roomId" = ${roomId}`;
      }
      return m;
    }, TX_OPTIONS);
    return m ? toMessage(roomId, m) : null;
  }

  private async getIn(tx: Tx, roomId: string, seq: number): Promise<StoredMessage | undefined> {
    const rows = await tx.$queryRaw<{ m: StoredMessage | null }[]>`
      SELECT messages -> (${seq}::int - "firstSeq") AS m FROM "MessageChunk"
      WHERE "roomId" = ${roomId} AND "firstSeq" <= ${seq}::int ORDER BY "firstSeq" DESC LIMIT 1`;
    return rows[0]?.m ?? undefined;
  }

  async heads(roomIds: string[]): Promise<Map<string, RoomHead>> {
    const out = new Map<string, RoomHead>();
    for (const id of roomIds) {
      checkRoomId(id);
      out.set(id, { lastSeq: 0, lastMessage: null });
    }
    if (roomIds.length === 0) return out;
    const rows = await this.prisma.$queryRaw<{ roomId: string; lastSeq: number; lastMessage: StoredMessage | null }[]>`
      SELECT "roomId", "lastSeq", "lastMessage" FROM "MessageHead"
      WHERE "roomId" IN (SELECT jsonb_array_elements_text(${JSON.stringify([...out.keys()])}::jsonb))`;
    for (const r of rows) out.set(r.roomId, { lastSeq: r.lastSeq, lastMessage: r.lastMessage ? toMessage(r.roomId, r.lastMessage) : null });
    return out;
  }

  /** Not part of the port: the room's chunks, oldest first (tests, tools). */
  async chunkSummaries(roomId: string): Promise<ChunkSummary[]> {
    const rows = await this.prisma.$queryRaw<(Omit<ChunkSummary, "bucket"> & { bucket: Date })[]>`
      SELECT "firstSeq", "lastSeq", count, bytes, bucket FROM "MessageChunk" WHERE "roomId" = ${roomId} ORDER BY "firstSeq"`;
    return rows.map((r) => ({ ...r, bucket: new Date(r.bucket).toISOString() }));
  }

  /** Stops taking appends and waits for queued ones; the Prisma client belongs to the caller. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight > 0 || this.queue.length > 0 || this.pumpScheduled) await new Promise<void>((done) => this.idle.push(done));
  }
}
