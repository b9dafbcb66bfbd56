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

/**
 * Applies the changes of one group commit, in order, with one read and one write statement
 * (message_changes, migration 20261206035000), both through `run`: each room's changes in the order given, several to
 * one message one after the other. `heads`: each changed room's rev and lastSeq afterwards (the
 * store's remembered head). A change that lost a race to another writer makes the whole call read
 * again and retry; nothing of a failed attempt was written.
 */
export async function changeMessages(
  run: StatementRunner,
  requests: ChangeRequest[],
): Promise<{ results: ChangeDone[]; heads: Map<string, { rev: number; lastSeq: number }> }> {
  for (const r of requests) {
    checkRoomId(r.roomId);
    checkSeq(r.seq);
  }
  // Heads are locked in roomId order, as every writer locks them; a room's changes keep their order.
  const order = requests.map((_, i) => i).sort((a, b) => (requests[a]!.roomId < requests[b]!.roomId ? -1 : requests[a]!.roomId > requests[b]!.roomId ? 1 : a - b));
  const keyOf = (r: ChangeRequest) => `${r.roomId}:${r.seq}`;
  for (let attempt = 1; ; attempt++) {
    const pairs = [...new Map(requests.map((r) => [keyOf(r), { r: r.roomId, q: r.seq }])).values()];
    const rows = await run<{ k: string; m: StoredMessage | null }>(lookupPairs(pairs));
    const state = new Map(rows.flatMap((row) => (row.m ? [[row.k, row.m] as const] : [])));
    const touched = new Set<string>();
    const results: ChangeDone[] = new Array(requests.length).fill(null);
    const writes: { roomId: string; seq: number; readRev: number | null; m: object; bytes: number; pinOp: string | null }[] = [];
    const written: StoredMessage[] = [];
    for (const i of order) {
      const req = requests[i]!;
      const before = state.get(keyOf(req));
      if (!before || before.seq !== req.seq) continue;
      let after: StoredMessage | null;
      try {
        // The rev is the statement's to give (head.rev + 1 under the head's lock).
        after = applyChange(before, req.change, 0, req.now);
      } catch (error) {
        results[i] = { error };
        continue;
      }
      results[i] = { before, after };
      if (!after) continue;
      const pinOp = after.pinnedAt && !before.pinnedAt ? "pin" : before.pinnedAt && !after.pinnedAt ? "unpin" : null;
      const { rev: _, ...fields } = after;
      writes.push({ roomId: req.roomId, seq: req.seq, readRev: touched.has(keyOf(req)) ? null : revOf(before), m: fields, bytes: storedBytes(after) - storedBytes(before), pinOp });
      written.push(after);
      touched.add(keyOf(req));
      state.set(keyOf(req), after);
    }
    const heads = new Map<string, { rev: number; lastSeq: number }>();
    if (!writes.length) return { results, heads };
    try {
      const revs = await run<{ rev: number; lastSeq: number }>(Sql.sql`SELECT * FROM message_changes(${JSON.stringify(writes)}::jsonb)`);
      if (revs.length !== writes.length) throw new Error(`message_changes wrote ${revs.length} of ${writes.length}`);
      revs.forEach((head, k) => {
        written[k]!.rev = head.rev;
        heads.set(writes[k]!.roomId, head);
      });
      return { results, heads };
    } catch (err) {
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
