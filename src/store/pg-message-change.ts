// Changing stored messages in the PostgreSQL message store (pg-message-store.ts). A message lives
// in a "MessageTail" row while its chunk is open, and as an element of a "MessageChunk" row once
// the chunk has closed.
//
// A change (edit, delete, reaction, pin) reads the element, applies the change in JavaScript
// (applyChange in message-chunks.ts: the same rules in every adapter), then writes it with one
// statement, the message_change function (its migration says how): under the head's row lock (the
// appenders' lock order, so changes and appends never deadlock) it writes the element only if it
// is still at the rev it was read at, with rev = head.rev + 1, raises the chunk's maxRev and moves
// the head's rev (and lastMessage, pinnedSeqs). A lost race reads again. A change that is already
// in effect writes nothing and leaves rev where it was.
// deleteMessages does the same for a page of deletions of one room, in one transaction.

import type { MessageChange } from "../domain/ports/message-store.js";
import type { Prisma, StatementRunner } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";
import { applyChange, checkRoomId, checkSeq, pinsAfter, revOf, storedBytes, type StoredMessage } from "./message-chunks.js";
import { lookup } from "./pg-message-reads.js";

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

/**
 * The message before and after, or null when the room has no such message; `after` null: nothing
 * changed. `head`: the room's rev and lastSeq right after the change (the store's remembered head).
 */
export async function changeMessage(
  read: StatementRunner,
  write: StatementRunner,
  roomId: string,
  seq: number,
  change: MessageChange,
  now: Date,
): Promise<{ before: StoredMessage; after: StoredMessage | null; head?: { rev: number; lastSeq: number } } | null> {
  checkRoomId(roomId);
  checkSeq(seq);
  for (let attempt = 1; ; attempt++) {
    const [row] = await read<{ m: StoredMessage | null }>(lookup(roomId, seq));
    const before = row?.m;
    if (!before || before.seq !== seq) return null;
    // The rev is the statement's to give (head.rev + 1 under the head's lock).
    const after = applyChange(before, change, 0, now);
    if (!after) return { before, after: null };
    const pinOp = after.pinnedAt && !before.pinnedAt ? "pin" : before.pinnedAt && !after.pinnedAt ? "unpin" : null;
    const { rev: _, ...fields } = after;
    try {
      const [head] = await write<{ rev: number; lastSeq: number }>(Sql.sql`
        SELECT * FROM message_change(${roomId}, ${seq}::int, ${revOf(before)}::int, ${JSON.stringify(fields)}::jsonb,
          ${storedBytes(after) - storedBytes(before)}::int, ${pinOp}::text)`);
      if (!head) throw new Error(`message_change(${roomId}, ${seq}) returned nothing`);
      return { before, after: { ...after, rev: head.rev }, head };
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
