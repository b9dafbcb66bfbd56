/**
 * One room's messages as this client holds them, and how far it knows the room: `afterSeq` (every
 * seq from the timeline's start up to it is held) and `afterRev` (every change up to that room
 * revision is applied), which is exactly what `sync` asks from (PROTOCOL.md, guarantee 3 and
 * "Conversations"). Everything is applied idempotently, in any order: a message is keyed by its
 * seq and the copy with the newest rev wins (message-merge.ts); a read cursor only moves forward.
 * Live events, acks, history pages and resync answers all go through the same two doors, apply()
 * and applyCatchUp().
 *
 * A timeline lists the messages from its floor up. A reader who opens a room at its newest page
 * (`from: "newest"`) has the floor there, and pages older history in below it (loadOlder); a copy
 * of an older message that arrives meanwhile (an edit of it, a resync's `updated`) is held, not
 * listed, until its page comes, which then keeps whichever copy is newer.
 */
import { Emitter } from "./emitter.js";
import { mergeMessage } from "./message-merge.js";
import type { CatchUp, Message } from "./protocol.js";

/** Where a client is in a room: what `sync` and `room:join` take. */
export interface RoomPosition {
  afterSeq: number;
  afterRev?: number;
}

/** Reads a page of a room's history, ascending: the newest one (no `before`), or the one just before seq `before`. */
export type PageReader = (query: { before?: number; limit: number }) => Promise<{ messages: Message[]; hasMore: boolean }>;

export interface TimelineOptions {
  /**
   * Where the timeline starts. A position: messages up to `afterSeq` are not fetched (default: the
   * room's first message); give `afterRev` with it to hear of changes from there on. "newest": at
   * the room's newest page, read with `pages` when the timeline starts (loadOlder, or the client's
   * first catch-up), older pages as the reader asks for them.
   */
  from?: RoomPosition | "newest";
  /** How pages of history are read (the client reads GET /api/rooms/:id/messages); loadOlder needs it. */
  pages?: PageReader;
  /** Messages per page of history (default 50). */
  pageSize?: number;
  /** The signed-in user: gives broadcasts' reactions their `me`. */
  userId?: string;
}

interface TimelineEvents {
  /** New messages and new states of known ones, as applied. */
  messages: [changed: Message[]];
  /** A page of history came in (loadOlder): its messages, as held, are listed now. */
  history: [page: Message[]];
  /** A member's read cursor moved forward. */
  receipt: [userId: string, lastReadSeq: number];
}

export class RoomTimeline extends Emitter<TimelineEvents> {
  private readonly bySeq = new Map<number, Message>();
  private sorted: Message[] | null = [];
  /** Every seq after the start up to this one is held (seqs are 1, 2, 3 … with no gaps). */
  private contiguous: number;
  private newest = 0;
  /** The highest rev of any copy applied. */
  private maxRev = 0;
  /** Every change up to this rev is applied (undefined: not known yet). */
  private revBase: number | undefined;
  /** Revs applied above the base: the base moves up through them while they have no gap. */
  private readonly revsAbove = new Set<number>();
  private readonly readCursors = new Map<string, number>();
  private readonly userId: string | undefined;
  /** The lowest seq listed; copies of older messages are held until their page comes. */
  private floorSeq: number;
  private moreBefore: boolean;
  /** False while a timeline opened at the newest page has not read it: no position to resync from yet. */
  private startedNow: boolean;
  private paging: Promise<Message[]> | null = null;
  private readonly pages: PageReader | undefined;
  private readonly pageSize: number;

  constructor(
    readonly roomId: string,
    opts: TimelineOptions = {},
  ) {
    super();
    const from = opts.from === "newest" ? undefined : opts.from;
    this.contiguous = from?.afterSeq ?? 0;
    this.revBase = opts.from === "newest" ? undefined : from ? from.afterRev : 0;
    this.floorSeq = this.contiguous + 1;
    this.moreBefore = opts.from === "newest" || this.contiguous > 0;
    this.startedNow = opts.from !== "newest";
    this.userId = opts.userId;
    this.pages = opts.pages;
    this.pageSize = opts.pageSize ?? 50;
  }

  /** The messages listed (messages().length). */
  get size(): number {
    return this.messages().length;
  }

  /** A message held, listed or not (an older one changed before its page came is held unlisted). */
  get(seq: number): Message | undefined {
    return this.bySeq.get(seq);
  }

  /** The messages listed, from the floor up, ascending by seq. */
  messages(): readonly Message[] {
    const floor = this.floor;
    this.sorted ??= [...this.bySeq.values()].filter((m) => m.seq >= floor).sort((a, b) => a.seq - b.seq);
    return this.sorted;
  }

  /** The lowest seq listed (1 once the room's first message is). */
  get floor(): number {
    return this.startedNow ? this.floorSeq : 1;
  }

  /** Older messages exist below the floor (loadOlder brings the next page of them). */
  get hasMoreBefore(): boolean {
    return this.moreBefore;
  }

  /** Whether the timeline knows where it is: opened at a position, or its newest page read. */
  get started(): boolean {
    return this.startedNow;
  }

  get loadingOlder(): boolean {
    return this.paging !== null;
  }

  /**
   * The next page of older history: the newest page if the timeline has not started, else the
   * page just below the floor. Resolves with the page's messages as held (none at the room's
   * start); one read at a time, a second call shares it.
   */
  loadOlder(): Promise<Message[]> {
    this.paging ??= this.readPage().finally(() => {
      this.paging = null;
    });
    return this.paging;
  }

  /** Reads the newest page if the timeline has not started yet (the client does before its first resync). */
  async start(): Promise<void> {
    while (!this.startedNow) await this.loadOlder();
  }

  /** The highest seq with nothing missing between the floor and it. */
  get lastSeq(): number {
    return this.contiguous;
  }

  /** The highest seq held: above lastSeq while a gap is open (messages of several nodes interleave). */
  get newestSeq(): number {
    return Math.max(this.newest, this.contiguous);
  }

  /** The highest room revision seen on any message held. */
  get newestRev(): number {
    return this.maxRev;
  }

  /**
   * Something is known to be missing: a seq gap below the newest message held, or a change (rev)
   * not seen below the newest one. Usually brief (several nodes' broadcasts interleave); one that
   * lasts is a broadcast lost with a node, and a resync fills it.
   */
  get behind(): boolean {
    if (!this.startedNow) return false;
    return this.newest > this.contiguous || (this.revBase !== undefined && this.maxRev > this.revBase);
  }

  /** Every change up to this room revision is applied (undefined until a resync tells). */
  get rev(): number | undefined {
    return this.revBase;
  }

  /** What to resync from: the last contiguous seq and, once known, the rev (meaningful once started). */
  position(): RoomPosition {
    return this.revBase === undefined ? { afterSeq: this.contiguous } : { afterSeq: this.contiguous, afterRev: this.revBase };
  }

  /** Applies copies of messages (live, acked, paged); returns those that changed something. */
  apply(incoming: Iterable<Message>): Message[] {
    const changed = this.merge(incoming);
    if (changed.length) this.emit("messages", changed);
    return changed;
  }

  /**
   * A room's answer to `sync` (or a changes page): its new messages and changed older ones, then
   * its `rev`, up to which every change to the messages held is now applied.
   */
  applyCatchUp(page: Pick<CatchUp, "messages" | "updated" | "rev">): Message[] {
    const changed = this.apply([...page.messages, ...(page.updated ?? [])]);
    this.setRev(page.rev);
    return changed;
  }

  /** Every change up to `rev` is applied here. */
  setRev(rev: number): void {
    if (this.revBase !== undefined && rev <= this.revBase) return;
    this.revBase = rev;
    if (rev > this.maxRev) this.maxRev = rev;
    for (const r of this.revsAbove) if (r <= rev) this.revsAbove.delete(r);
    this.advanceRev();
  }

  /** A member's read cursor (receipt:updated, room:join's members); never moves backwards. */
  applyReceipt(userId: string, lastReadSeq: number): boolean {
    if (lastReadSeq <= (this.readCursors.get(userId) ?? -1)) return false;
    this.readCursors.set(userId, lastReadSeq);
    this.emit("receipt", userId, lastReadSeq);
    return true;
  }

  lastReadSeq(userId: string): number | undefined {
    return this.readCursors.get(userId);
  }

  /**
   * The members known here who have not read message `seq`: their lastReadSeq is below it
   * (PROTOCOL.md, "Socket.IO"). Its sender has read it, whatever their cursor says yet.
   */
  unreadBy(seq: number): string[] {
    const sender = this.bySeq.get(seq)?.senderId;
    return [...this.readCursors].filter(([userId, read]) => read < seq && userId !== sender).map(([userId]) => userId);
  }

  private merge(incoming: Iterable<Message>): Message[] {
    const changed: Message[] = [];
    for (const m of incoming) {
      if (m.roomId !== this.roomId) continue;
      this.noteRev(m.rev);
      const merged = mergeMessage(this.bySeq.get(m.seq), m, this.userId);
      if (!merged) continue;
      this.bySeq.set(merged.seq, merged);
      if (merged.seq > this.newest) this.newest = merged.seq;
      changed.push(merged);
    }
    if (!changed.length) return changed;
    this.advanceSeq();
    this.sorted = null;
    return changed;
  }

  private advanceSeq(): void {
    if (this.startedNow) while (this.bySeq.has(this.contiguous + 1)) this.contiguous++;
  }

  private async readPage(): Promise<Message[]> {
    if (!this.pages) throw new Error(`room ${this.roomId}: the timeline has no page reader`);
    const first = !this.startedNow;
    if (!first && !this.moreBefore) return [];
    const page = await this.pages(first ? { limit: this.pageSize } : { before: this.floorSeq, limit: this.pageSize });
    const lowest = page.messages[0]?.seq;
    this.moreBefore = page.hasMore && lowest !== undefined && lowest > 1;
    this.floorSeq = this.moreBefore ? lowest! : 1;
    if (first) {
      // The newest page is contiguous and holds every change to its messages up to its newest
      // rev (read after room:join, anything later comes live; the next resync asks from there).
      this.startedNow = true;
      this.contiguous = Math.max(page.messages.at(-1)?.seq ?? 0, this.floorSeq - 1);
    }
    this.merge(page.messages);
    this.advanceSeq();
    if (first) this.setRev(Math.max(0, ...page.messages.map((m) => m.rev)));
    this.sorted = null;
    const held = page.messages.map((m) => this.bySeq.get(m.seq)!);
    this.emit("history", held);
    return held;
  }

  /** A message's rev means that change is applied: the base moves while the revs above it have no gap. */
  private noteRev(rev: number): void {
    if (rev > this.maxRev) this.maxRev = rev;
    if (this.revBase !== undefined && rev <= this.revBase) return;
    this.revsAbove.add(rev);
    this.advanceRev();
  }

  private advanceRev(): void {
    if (this.revBase === undefined) return;
    while (this.revsAbove.delete(this.revBase + 1)) this.revBase++;
  }
}
