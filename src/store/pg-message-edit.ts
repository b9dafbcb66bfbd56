// Reading one stored message and changing it in place (edit, delete) in the PostgreSQL message
// store (pg-message-store.ts): a message lives in a "MessageTail" row while its chunk is open, and
// as an element of a "MessageChunk" row once the chunk has closed.

import type { Message } from "../domain/message.js";
import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/prisma/client.js";
import { checkRoomId, checkSeq, toMessage, type StoredMessage } from "./message-chunks.js";

/** The message `seq` of a room: a tail row, or the element of the chunk holding it. One snapshot, so a concurrent fold is invisible. */
export const lookup = (roomId: string, seq: number) => Sql.sql`
  SELECT coalesce(
    (SELECT message FROM "MessageTail" WHERE "roomId" = ${roomId} AND seq = ${seq}::int),
    (SELECT messages -> (${seq}::int - "firstSeq") FROM "MessageChunk"
     WHERE "roomId" = ${roomId} AND "firstSeq" <= ${seq}::int AND "lastSeq" >= ${seq}::int ORDER BY "firstSeq" DESC LIMIT 1)
  ) AS m`;

/**
 * Merges `patch` into message `seq` unless it was deleted (then returns it as it is); null if the
 * room has no such message. Keeps the head's lastMessage in step when `seq` is the last one.
 */
export async function modifyMessage(
  prisma: Prisma,
  roomId: string,
  seq: number,
  patch: Partial<StoredMessage>,
  txOptions: { maxWait: number; timeout: number },
): Promise<Message | null> {
  checkRoomId(roomId);
  checkSeq(seq);
  const m = await prisma.$transaction(async (tx) => {
    // Head first, then chunk: the appenders' lock order, so edits and appends never deadlock.
    const [head] = await tx.$queryRaw<{ lastSeq: number; openFirstSeq: number; openCount: number }[]>`
      SELECT "lastSeq", "openFirstSeq", "openCount" FROM "MessageHead" WHERE "roomId" = ${roomId} FOR NO KEY UPDATE`;
    if (!head || seq < 1 || seq > head.lastSeq) return null;
    const json = JSON.stringify(patch);
    const changed =
      head.openCount > 0 && seq >= head.openFirstSeq
        ? await tx.$queryRaw<{ m: StoredMessage }[]>`
            UPDATE "MessageTail" SET message = message || ${json}::jsonb
            WHERE "roomId" = ${roomId} AND seq = ${seq}::int AND NOT (message ? 'deletedAt')
            RETURNING message AS m`
        : await tx.$queryRaw<{ m: StoredMessage }[]>`
            WITH c AS (
              SELECT "firstSeq", ${seq}::int - "firstSeq" AS i FROM "MessageChunk"
              WHERE "roomId" = ${roomId} AND "firstSeq" <= ${seq}::int ORDER BY "firstSeq" DESC LIMIT 1
            )
            UPDATE "MessageChunk" t SET
              messages = jsonb_set(t.messages, ARRAY[c.i::text], (t.messages -> c.i) || ${json}::jsonb),
              bytes = t.bytes - octet_length((t.messages -> c.i)::text) + octet_length(((t.messages -> c.i) || ${json}::jsonb)::text)
            FROM c WHERE t."roomId" = ${roomId} AND t."firstSeq" = c."firstSeq" AND t."lastSeq" >= ${seq}::int
              AND NOT ((t.messages -> c.i) ? 'deletedAt')
            RETURNING t.messages -> c.i AS m`;
    const m = changed[0]?.m;
    if (!m) return (await tx.$queryRaw<{ m: StoredMessage | null }[]>(lookup(roomId, seq)))[0]?.m ?? null; // deleted already: as it is
    if (head.lastSeq === seq) {
      await tx.$executeRaw`UPDATE "MessageHead" SET "lastMessage" = ${JSON.stringify(m)}::jsonb WHERE "roomId" = ${roomId}`;
    }
    return m;
  }, txOptions);
  return m ? toMessage(roomId, m) : null;
}
