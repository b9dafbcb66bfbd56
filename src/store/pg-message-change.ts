// Changing stored messages in the PostgreSQL message store (pg-message-store.ts). A message lives
// in a "MessageTail" row while its chunk is open, and as an element of a "MessageChunk" row once
// the chunk has closed.
//
// A change (edit, delete, reaction, pin) is one transaction: lock the room's head (the appenders'
// lock order, so changes and appends never deadlock), read the element, apply the change in
// JavaScript (applyChange in message-chunks.ts: the same rules in every adapter), write the element
// back with rev = head.rev + 1, raise the chunk's maxRev, move the head's rev (and lastMessage,
// pinnedSeqs). A change that is already in effect writes nothing and leaves rev where it was.
// deleteMessages does the same for a page of deletions of one room, in one transaction.

import type { MessageChange } from "../domain/ports/message-store.js";
import type { Prisma } from "./database.js";
import { applyChange, checkRoomId, checkSeq, pinsAfter, storedBytes, type StoredMessage } from "./message-chunks.js";

interface HeadState {
  lastSeq: number;
  rev: number;
  openFirstSeq: number;
  openCount: number;
  pinnedSeqs: number[] | null;
}

/** The message before and after, or null when the room has no such message; `after` null: nothing changed. */
export async function changeMessage(
  prisma: Prisma,
  roomId: string,
  seq: number,
  change: MessageChange,
  now: Date,
  txOptions: { maxWait: number; timeout: number },
): Promise<{ before: StoredMessage; after: StoredMessage | null } | null> {
  checkRoomId(roomId);
  checkSeq(seq);
  return prisma.$transaction(async (tx) => {
    const [head] = await tx.$queryRaw<HeadState[]>`
      SELECT "lastSeq", rev, "openFirstSeq", "openCount", "pinnedSeqs" FROM "MessageHead" WHERE "roomId" = ${roomId} FOR NO KEY UPDATE`;
    if (!head || seq < 1 || seq > head.lastSeq) return null;
    const inTail = head.openCount > 0 && seq >= head.openFirstSeq;
    const [row] = inTail
      ? await tx.$queryRaw<{ m: StoredMessage; firstSeq: null }[]>`
          SELECT message AS m, NULL::int AS "firstSeq" FROM "MessageTail" WHERE "roomId" = ${roomId} AND seq = ${seq}::int`
      : await tx.$queryRaw<{ m: StoredMessage; firstSeq: number }[]>`
          SELECT messages -> (${seq}::int - "firstSeq") AS m, "firstSeq" FROM "MessageChunk"
          WHERE "roomId" = ${roomId} AND "firstSeq" <= ${seq}::int AND "lastSeq" >= ${seq}::int ORDER BY "firstSeq" DESC LIMIT 1`;
    if (!row?.m) throw new Error(`message ${roomId}:${seq} is below the head but not stored`);
    const before = row.m;
    const rev = head.rev + 1;
    const after = applyChange(before, change, rev, now);
    if (!after) return { before, after: null };
    const json = JSON.stringify(after);
    if (row.firstSeq === null) {
      await tx.$executeRaw`UPDATE "MessageTail" SET message = ${json}::jsonb WHERE "roomId" = ${roomId} AND seq = ${seq}::int`;
    } else {
      const i = seq - row.firstSeq;
      await tx.$executeRaw`
        UPDATE "MessageChunk" SET messages = jsonb_set(messages, ARRAY[${i}::int::text], ${json}::jsonb),
          bytes = bytes + ${storedBytes(after) - storedBytes(before)}::int, "maxRev" = greatest("maxRev", ${rev}::int)
        WHERE "roomId" = ${roomId} AND "firstSeq" = ${row.firstSeq}::int`;
    }
    const pins = pinsAfter(head.pinnedSeqs ?? [], before, after);
    await tx.$executeRaw`
      UPDATE "MessageHead" SET rev = ${rev}::int, "pinnedSeqs" = ARRAY(SELECT p::int FROM jsonb_array_elements_text(${JSON.stringify(pins)}::jsonb) WITH ORDINALITY AS a(p, i) ORDER BY i),
        "lastMessage" = CASE WHEN "lastSeq" = ${seq}::int THEN ${json}::jsonb ELSE "lastMessage" END
      WHERE "roomId" = ${roomId}`;
    return { before, after };
  }, txOptions);
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
