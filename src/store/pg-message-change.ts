// Changing stored messages in the PostgreSQL message store (pg-message-store.ts). A message lives
// in a "MessageTail" row while its chunk is open, and as an element of a "MessageChunk" row once
// the chunk has closed.
//
// A change (edit, delete, reaction, pin) is one transaction: lock the room's head (the appenders'
// lock order, so changes and appends never deadlock), read the element, apply the change in
// JavaScript (applyChange in message-chunks.ts: the same rules in every adapter), write the element
// back with rev = head.rev + 1, raise the chunk's maxRev, move the head's rev (and lastMessage,
// pinnedSeqs). A change that is already in effect writes nothing and leaves rev where it was.

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
