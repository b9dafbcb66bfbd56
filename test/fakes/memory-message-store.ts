import type { Message } from "../../src/domain/message.js";
import type {
  AppendResult, ChangeResult, ChangesPage, MessageChange, MessageDraft, MessagePage, MessageStore, RoomHead, SentRef,
} from "../../src/domain/ports/message-store.js";
// The validation and page arithmetic both real adapters share (pure functions, no database):
// using them here keeps the fake's refusals and page bounds exactly the adapters'.
import {
  applyChange, bucketOf, checkDraft, checkRoomId, checkSentByQuery, checkSeq, DEFAULT_CHUNK_LIMITS, deleteOneByOne, pageRange, pinsAfter, revOf, storedBytes, toMessage, toStored,
  type ChunkLimits, type ChunkSummary, type PageQuery, type StoredMessage,
} from "../../src/store/message-chunks.js";

interface Chunk {
  firstSeq: number;
  lastSeq: number;
  bucket: number;
  bytes: number;
}

interface RoomLog {
  /** Element of seq n at index n - 1: seqs are 1, 2, 3 … with no gaps. */
  messages: StoredMessage[];
  /** (senderId, clientMsgId) -> seq: the MessageKey table. */
  keys: Map<string, number>;
  chunks: Chunk[];
  rev: number;
  /** Pinned seqs, most recently pinned last. */
  pins: number[];
}

/**
 * MessageStore (src/domain/ports/message-store.ts) in memory. Keeps the port's guarantees the way
 * PgMessageStore (src/store/pg-message-store.ts) does:
 * - seq is lastSeq + 1 per room, allocated in the same synchronous step that stores the message
 *   (no await between), so concurrent appends get 1, 2, 3 … in call order, with no gaps;
 * - a repeated (roomId, senderId, clientMsgId) stores nothing and consumes no seq: it answers the
 *   stored message as it is now (after an edit, the edited one: pg-message-store.ts append reads
 *   it back with get()), created = false; a null clientMsgId (system message) is never a repeat;
 * - drafts are validated with the adapters' own checkDraft (message-chunks.ts): NUL, lone
 *   surrogates, bad types are VALIDATION, refused before anything is stored;
 * - rev moves by one with each new message and each change, in the same synchronous step; changes
 *   go through the adapters' own applyChange (message-chunks.ts), so the rules are theirs;
 *   heads() shows the last message as it now is.
 * Chunks are tracked only for chunkSummaries() (the contract suite checks them): a chunk closes at
 * maxCount exactly (the PostgreSQL store may close up to a quarter early, pg-message-batch.ts
 * closesAt), on a byte overflow, or at a new UTC-day bucket.
 */
export class MemoryMessageStore implements MessageStore {
  private readonly rooms = new Map<string, RoomLog>();
  private readonly limits: ChunkLimits;
  private closed = false;
  private failures: Error[] = [];
  /** How many append() calls stored a message (not part of the port). */
  appended = 0;

  constructor(limits: Partial<ChunkLimits> = {}) {
    this.limits = { ...DEFAULT_CHUNK_LIMITS, ...limits };
  }

  async append(draft: MessageDraft, now: Date): Promise<AppendResult> {
    if (this.closed) throw new Error("message store is closed");
    checkDraft(draft);
    const failure = this.failures.shift();
    if (failure) throw failure;
    const room = this.room(draft.roomId);
    const k = JSON.stringify([draft.senderId, draft.clientMsgId]);
    if (draft.clientMsgId !== null) {
      const seq = room.keys.get(k);
      if (seq !== undefined) return { message: this.read(draft.roomId, room, seq), created: false };
    }
    const element = toStored(draft, room.messages.length + 1, now, ++room.rev);
    room.messages.push(structuredClone(element));
    if (draft.clientMsgId !== null) room.keys.set(k, element.seq);
    this.place(room, element, now);
    this.appended++;
    return { message: toMessage(draft.roomId, structuredClone(element)), created: true };
  }

  async page(roomId: string, query: PageQuery, viewerId?: string): Promise<MessagePage> {
    checkRoomId(roomId);
    const room = this.rooms.get(roomId);
    const { lo, hi, hasMore } = pageRange(query, room?.messages.length ?? 0);
    const messages: Message[] = [];
    for (let seq = lo; seq <= hi && room; seq++) messages.push(this.read(roomId, room, seq, viewerId));
    return { messages, hasMore };
  }

  async get(roomId: string, seq: number, viewerId?: string): Promise<Message | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const room = this.rooms.get(roomId);
    return room && seq >= 1 && seq <= room.messages.length ? this.read(roomId, room, seq, viewerId) : null;
  }

  async getMany(roomId: string, seqs: number[], viewerId?: string): Promise<Message[]> {
    checkRoomId(roomId);
    seqs.forEach(checkSeq);
    const room = this.rooms.get(roomId);
    const wanted = [...new Set(seqs)].sort((a, b) => a - b).filter((s) => room && s >= 1 && s <= room.messages.length);
    return wanted.map((s) => this.read(roomId, room!, s, viewerId));
  }

  async change(roomId: string, seq: number, change: MessageChange, now: Date, viewerId?: string): Promise<ChangeResult | null> {
    checkRoomId(roomId);
    checkSeq(seq);
    const room = this.rooms.get(roomId);
    if (!room || seq < 1 || seq > room.messages.length) return null;
    const before = room.messages[seq - 1]!;
    const after = applyChange(before, change, room.rev + 1, now);
    if (!after) return { message: this.read(roomId, room, seq, viewerId), changed: false };
    room.rev++;
    room.messages[seq - 1] = after;
    room.pins = pinsAfter(room.pins, before, after);
    // `bytes` is approximate after changes, as in the adapters (caps only decide where appends go).
    const chunk = room.chunks.find((c) => c.firstSeq <= seq && c.lastSeq >= seq);
    if (chunk) chunk.bytes += storedBytes(after) - storedBytes(before);
    return { message: this.read(roomId, room, seq, viewerId), changed: true };
  }

  /** As change() one by one (the port allows it; PostgreSQL batches). */
  deleteMany(roomId: string, seqs: number[], now: Date): Promise<Message[]> {
    return deleteOneByOne((seq) => this.change(roomId, seq, { kind: "delete" }, now), seqs);
  }

  async changes(roomId: string, query: { afterRev: number; limit: number; maxSeq?: number }, viewerId?: string): Promise<ChangesPage> {
    checkRoomId(roomId);
    checkSeq(query.afterRev);
    const room = this.rooms.get(roomId);
    if (!room) return { messages: [], rev: 0, hasMore: false };
    const changed = room.messages
      .filter((m) => revOf(m) > query.afterRev && (query.maxSeq === undefined || m.seq <= query.maxSeq))
      .sort((a, b) => revOf(a) - revOf(b));
    const messages = changed.slice(0, query.limit).map((m) => this.read(roomId, room, m.seq, viewerId));
    const hasMore = changed.length > query.limit;
    return { messages, rev: hasMore ? messages.at(-1)!.rev : room.rev, hasMore };
  }

  async pinned(roomId: string, viewerId?: string): Promise<Message[]> {
    checkRoomId(roomId);
    const room = this.rooms.get(roomId);
    return room ? [...room.pins].reverse().map((s) => this.read(roomId, room, s, viewerId)) : [];
  }

  async heads(roomIds: string[]): Promise<Map<string, RoomHead>> {
    for (const id of roomIds) checkRoomId(id);
    const out = new Map<string, RoomHead>();
    for (const id of new Set(roomIds)) {
      const room = this.rooms.get(id);
      const lastSeq = room?.messages.length ?? 0;
      out.set(id, { lastSeq, rev: room?.rev ?? 0, lastMessage: room && lastSeq ? this.read(id, room, lastSeq) : null });
    }
    return out;
  }

  async sentBy(senderId: string, q: { after?: SentRef; limit: number }): Promise<SentRef[]> {
    checkSentByQuery(senderId, q);
    // MessageKey's (senderId, roomId, seq) order: keyed messages only, deleted ones included.
    const after = q.after;
    const refs: SentRef[] = [];
    for (const roomId of [...this.rooms.keys()].sort()) {
      if (after && roomId < after.roomId) continue;
      for (const seq of this.rooms.get(roomId)!.keys.values()) {
        const m = this.rooms.get(roomId)!.messages[seq - 1]!;
        if (m.senderId === senderId && (!after || roomId > after.roomId || seq > after.seq)) refs.push({ roomId, seq });
      }
    }
    return refs.sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : a.seq - b.seq)).slice(0, q.limit);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- Not part of the port.

  /** The next append() calls reject with these errors, one each (a store that fails). */
  failNextAppends(...errors: Error[]): void {
    this.failures.push(...errors);
  }

  /** The room's chunks, oldest first (as PgMessageStore.chunkSummaries; the contract suite reads it). */
  async chunkSummaries(roomId: string): Promise<ChunkSummary[]> {
    return (this.rooms.get(roomId)?.chunks ?? []).map((c) => ({
      firstSeq: c.firstSeq,
      lastSeq: c.lastSeq,
      count: c.lastSeq - c.firstSeq + 1,
      bytes: c.bytes,
      bucket: new Date(c.bucket).toISOString(),
    }));
  }

  private room(roomId: string): RoomLog {
    let room = this.rooms.get(roomId);
    if (!room) this.rooms.set(roomId, (room = { messages: [], keys: new Map(), chunks: [], rev: 0, pins: [] }));
    return room;
  }

  private read(roomId: string, room: RoomLog, seq: number, viewerId?: string): Message {
    return toMessage(roomId, structuredClone(room.messages[seq - 1]!), viewerId);
  }

  /** pg-message-batch.ts planBatch's placement, with no fold spread. */
  private place(room: RoomLog, element: StoredMessage, now: Date) {
    const bytes = storedBytes(element);
    const bucket = bucketOf(now, this.limits).getTime();
    const open = room.chunks.at(-1);
    const fits = open && open.bucket === bucket && open.lastSeq - open.firstSeq + 1 < this.limits.maxCount && open.bytes + bytes <= this.limits.maxBytes;
    if (open && fits) {
      open.lastSeq = element.seq;
      open.bytes += bytes;
    } else {
      room.chunks.push({ firstSeq: element.seq, lastSeq: element.seq, bucket, bytes });
    }
  }
}
