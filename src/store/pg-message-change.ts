// Changing stored messages in the PostgreSQL message store (pg-message-store.ts). A message lives
// in a "MessageTail" row while its chunk is open, and as an element of a "MessageChunk" row once
// the chunk has closed.
//
// Changes (edits, deletes, reactions, pins) ride their room's group commit: a commit's changes
// are read in one statement, applied in JavaScript (applyChange in message-chunks.ts: the same
// rules in every adapter), then written with one statement, message_changes (its migration says
// how): under each head's row lock (the appenders' lock order, so changes and appends never
// deadlock) it writes each element only if it is still at the rev it was read at, with rev =
// head.rev + 1, raises the chunk's maxRev and moves the head's rev (and lastMessage, pinnedSeqs).
// A lost race reads again. A change that is already in effect writes nothing and leaves rev where it was.
// deleteMessages does the same for a page of deletions of one room, in one transaction.

import type { MessageChange } from "../domain/ports/message-store.js";
import type { Prisma, StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";
import { applyChange, checkRoomId, checkSeq, pinsAfter, revOf, storedBytes, type StoredMessage } from "./message-chunks.js";
import { lookupPairs } from "./pg-message-reads.js";
import type { RecentMessages } from "./recent-messages.js";

interface HeadState {
  lastSeq: number;
  rev: number;
  openFirstSeq: number;
  openCount: number;
  pinnedSeqs: number[] | null;
}

/** A change lost a race (the element changed between its read and its write): read again and retry. */
function isChangeConflict(err: unknown): boolean {
  let current = err;
  for (let i = 0; i < 8 && current !== null && typeof current === "object"; i++) {
    const e = current as { code?: unknown; originalCode?: unknown; message?: unknown; cause?: unknown };
    if (e.code === "40001" || e.originalCode === "40001") return true;
    if (typeof e.message === "string" && e.message.includes("changed since it was read")) return true;
    current = e.cause;
  }
  return false;
}

// Two writers changing one message at once is rare; a few rounds settle it.
const CHANGE_ATTEMPTS = 8;

export interface ChangeRequest {
  roomId: string;
  seq: number;
  change: MessageChange;
  now: Date;
}

/**
 * A change's outcome: null when the room has no such message; `after` null: nothing changed; or
 * the error this change alone failed with (a rule of applyChange). `before` and `after` are the
 * message around this change, after the changes before it in the same call.
 */
export type ChangeDone = { before: StoredMessage; after: StoredMessage | null } | null | { error: unknown };

/** One element for message_changes (its migration). */
export interface ChangeWrite {
  roomId: string;
  seq: number;
  /** The rev the element was planned from; null: it follows the previous write to the same message in this call. */
  readRev: number | null;
  m: object;
  bytes: number;
  pinOp: string | null;
}

/** A room's rev and lastSeq after a change (message_changes' rows, one per write). */
export type HeadAfter = { rev: number; lastSeq: number };

/** A commit's changes planned from the messages' state: what to write, and how to finish once it is written. */
export interface StagedChanges {
  results: ChangeDone[];
  writes: ChangeWrite[];
  /**
   * After the writes committed, with message_changes' rows: the results' revs, the recent
   * messages, and each changed room's head (the store's remembered head follows it).
   */
  finish(rows: HeadAfter[]): Map<string, HeadAfter>;
}

const keyOf = (r: { roomId: string; seq: number }) => `${r.roomId}:${r.seq}`;

/**
 * Plans a commit's changes, in order: each room's changes in the order given, several to one
 * message one after the other. A message this process wrote last is planned from `recent` without
 * a read (unless its key is in `fresh`): its write is checked against the rev anyway. A change
 * planned from such unread state that writes nothing (already in effect, refused, no message) is
 * planned again from a read, so no answer rests on unchecked state.
 */
export async function stageChanges(
  run: StatementRunner,
  requests: ChangeRequest[],
  recent: RecentMessages,
  fresh: ReadonlySet<string> | "all" = new Set(),
): Promise<StagedChanges> {
  for (const r of requests) {
    checkRoomId(r.roomId);
    checkSeq(r.seq);
  }
  const state = new Map<string, StoredMessage>();
  const unread = new Set<string>();
  const toRead = new Map<string, { r: string; q: number }>();
  for (const req of requests) {
    const key = keyOf(req);
    if (state.has(key) || toRead.has(key)) continue;
    const known = fresh === "all" || fresh.has(key) ? undefined : recent.get(req.roomId, req.seq);
    if (known) {
      state.set(key, known);
      unread.add(key);
    } else toRead.set(key, { r: req.roomId, q: req.seq });
  }
  if (toRead.size) {
    const rows = await run<{ k: string; m: StoredMessage | null }>(lookupPairs([...toRead.values()]));
    for (const row of rows) if (row.m) state.set(row.k, row.m);
  }
  // Heads are locked in roomId order, as every writer locks them; a room's changes keep their order.
  const order = requests.map((_, i) => i).sort((a, b) => (requests[a]!.roomId < requests[b]!.roomId ? -1 : requests[a]!.roomId > requests[b]!.roomId ? 1 : a - b));
  const results: ChangeDone[] = new Array(requests.length).fill(null);
  const writes: ChangeWrite[] = [];
  const written: StoredMessage[] = [];
  const touched = new Set<string>();
  const recheck = new Set<string>();
  for (const i of order) {
    const req = requests[i]!;
    const key = keyOf(req);
    const before = state.get(key);
    if (!before || before.seq !== req.seq) continue;
    let after: StoredMessage | null;
    try {
      // The rev is the statement's to give (head.rev + 1 under the head's lock).
      after = applyChange(before, req.change, 0, req.now);
    } catch (error) {
      results[i] = { error };
      if (unread.has(key) && !touched.has(key)) recheck.add(key);
      continue;
    }
    results[i] = { before, after };
    if (!after) {
      if (unread.has(key) && !touched.has(key)) recheck.add(key);
      continue;
    }
    const pinOp = after.pinnedAt && !before.pinnedAt ? "pin" : before.pinnedAt && !after.pinnedAt ? "unpin" : null;
    const { rev: _, ...fields } = after;
    writes.push({ roomId: req.roomId, seq: req.seq, readRev: touched.has(key) ? null : revOf(before), m: fields, bytes: storedBytes(after) - storedBytes(before), pinOp });
    written.push(after);
    touched.add(key);
    state.set(key, after);
  }
  if (recheck.size && fresh !== "all") return stageChanges(run, requests, recent, new Set([...(fresh as ReadonlySet<string>), ...recheck]));
  return {
    results,
    writes,
    finish(rows) {
      if (rows.length !== writes.length) throw new Error(`message_changes wrote ${rows.length} of ${writes.length}`);
      const heads = new Map<string, HeadAfter>();
      rows.forEach((head, k) => {
        written[k]!.rev = head.rev;
        heads.set(writes[k]!.roomId, head);
        recent.remember(writes[k]!.roomId, written[k]!);
      });
      return heads;
    },
  };
}

/** message_changes over these writes: one row per write, in order. */
export const changesStatement = (writes: ChangeWrite[]) => Sql.sql`SELECT * FROM message_changes(${JSON.stringify(writes)}::jsonb)`;

/**
 * Applies the changes of one group commit with one statement (message_changes, migration
 * 20261206035000), after one read at most (none when every message is in `recent`). A change
 * that lost a race to another writer makes the whole call read everything again and retry;
 * nothing of a failed attempt was written.
 */
export async function changeMessages(
  run: StatementRunner,
  requests: ChangeRequest[],
  recent: RecentMessages,
): Promise<{ results: ChangeDone[]; heads: Map<string, HeadAfter> }> {
  for (let attempt = 1; ; attempt++) {
    const staged = await stageChanges(run, requests, recent, attempt === 1 ? new Set() : "all");
    if (!staged.writes.length) return { results: staged.results, heads: new Map() };
    try {
      return { results: staged.results, heads: staged.finish(await run<HeadAfter>(changesStatement(staged.writes))) };
    } catch (err) {
      for (const r of requests) recent.forget(r.roomId, r.seq);
      if (attempt < CHANGE_ATTEMPTS && isChangeConflict(err)) continue;
      throw err;
    }
  }
}

/**
 * Deletes several messages of one room in one transaction, as changeMessage would one by one: the
 * head is locked once, each chunk holding some of them is read and written once (a page of 200 of
 * a user's messages costs a few chunk writes, not 200 transactions). The deleted elements, in seq
 * order; those already deleted are left as they are.
 */
export async function deleteMessages(
  prisma: Prisma,
  roomId: string,
  seqs: number[],
  now: Date,
  txOptions: { maxWait: number; timeout: number },
): Promise<StoredMessage[]> {
  checkRoomId(roomId);
  seqs.forEach(checkSeq);
  const wanted = [...new Set(seqs)].sort((a, b) => a - b);
  if (!wanted.length) return [];
  return prisma.$transaction(async (tx) => {
    const [head] = await tx.$queryRaw<HeadState[]>`
      SELECT "lastSeq", rev, "openFirstSeq", "openCount", "pinnedSeqs" FROM "MessageHead" WHERE "roomId" = ${roomId} FOR NO KEY UPDATE`;
    if (!head) return [];
    const inTail = (seq: number) => head.openCount > 0 && seq >= head.openFirstSeq;
    const present = wanted.filter((seq) => seq >= 1 && seq <= head.lastSeq);
    const tailSeqs = present.filter(inTail);
    const chunkSeqs = present.filter((seq) => !inTail(seq));
    const tails = tailSeqs.length
      ? await tx.$queryRaw<{ seq: number; m: StoredMessage }[]>`
          SELECT seq, message AS m FROM "MessageTail" WHERE "roomId" = ${roomId} AND seq = ANY(${tailSeqs}::int[])`
      : [];
    // The chunk holding each seq (the newest with firstSeq <= seq, as lookupMany finds it), each once.
    const chunks = chunkSeqs.length
      ? await tx.$queryRaw<{ firstSeq: number; messages: StoredMessage[] }[]>`
          SELECT DISTINCT ON (c."firstSeq") c."firstSeq", c.messages FROM unnest(${chunkSeqs}::int[]) AS s(seq)
          JOIN LATERAL (SELECT "firstSeq", messages FROM "MessageChunk" WHERE "roomId" = ${roomId} AND "firstSeq" <= s.seq AND "lastSeq" >= s.seq
                        ORDER BY "firstSeq" DESC LIMIT 1) c ON true
          ORDER BY c."firstSeq"`
      : [];
    const tailBySeq = new Map(tails.map((t) => [t.seq, t.m]));
    const chunkOf = (seq: number) => chunks.findLast((c) => c.firstSeq <= seq && seq < c.firstSeq + c.messages.length);
    let rev = head.rev;
    let pins = head.pinnedSeqs ?? [];
    let last: StoredMessage | null = null;
    const deleted: StoredMessage[] = [];
    const changedTails: { seq: number; m: StoredMessage }[] = [];
    const changedChunks = new Map<number, { bytes: number; maxRev: number }>();
    for (const seq of present) {
      const chunk = tailBySeq.has(seq) ? undefined : chunkOf(seq);
      const before = chunk ? chunk.messages[seq - chunk.firstSeq] : tailBySeq.get(seq);
      if (!before) throw new Error(`message ${roomId}:${seq} is below the head but not stored`);
      const after = applyChange(before, { kind: "delete" }, rev + 1, now);
      if (!after) continue;
      rev++;
      pins = pinsAfter(pins, before, after);
      if (chunk) {
        chunk.messages[seq - chunk.firstSeq] = after;
        const c = changedChunks.get(chunk.firstSeq) ?? { bytes: 0, maxRev: 0 };
        changedChunks.set(chunk.firstSeq, { bytes: c.bytes + storedBytes(after) - storedBytes(before), maxRev: rev });
      } else {
        changedTails.push({ seq, m: after });
      }
      if (seq === head.lastSeq) last = after;
      deleted.push(after);
    }
    if (!deleted.length) return [];
    if (changedTails.length) {
      await tx.$executeRaw`
        UPDATE "MessageTail" t SET message = x.m
        FROM (SELECT * FROM jsonb_to_recordset(${JSON.stringify(changedTails)}::jsonb) AS x(seq int, m jsonb) LIMIT ${changedTails.length}::int) x
        WHERE t."roomId" = ${roomId} AND t.seq = x.seq`;
    }
    for (const [firstSeq, c] of changedChunks) {
      const chunk = chunks.find((k) => k.firstSeq === firstSeq)!;
      await tx.$executeRaw`
        UPDATE "MessageChunk" SET messages = ${JSON.stringify(chunk.messages)}::jsonb, bytes = bytes + ${c.bytes}::int, "maxRev" = greatest("maxRev", ${c.maxRev}::int)
        WHERE "roomId" = ${roomId} AND "firstSeq" = ${firstSeq}::int`;
    }
    await tx.$executeRaw`
      UPDATE "MessageHead" SET rev = ${rev}::int, "pinnedSeqs" = ARRAY(SELECT p::int FROM jsonb_array_elements_text(${JSON.stringify(pins)}::jsonb) WITH ORDINALITY AS a(p, i) ORDER BY i),
        "lastMessage" = CASE WHEN ${last === null}::boolean THEN "lastMessage" ELSE ${JSON.stringify(last)}::jsonb END
      WHERE "roomId" = ${roomId}`;
    return deleted;
  }, txOptions);
}
