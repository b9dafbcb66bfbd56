/**
 * Read receipts (PROTOCOL.md): a member's read cursor only moves forward. One use case, two doors:
 * `receipt:read` is the body of POST /api/rooms/:id/read plus `roomId`.
 */
import { z } from "zod";
import { RoomId, Seq } from "./common.js";

export const ReadBody = z.strictObject({ seq: Seq });
export const ReceiptReadPayload = ReadBody.extend({ roomId: RoomId });
/** The cursor after the call: never lower than before, whatever `seq` was. */
export const ReadReply = z.object({ lastReadSeq: z.number().int() });

export const ReceiptUpdatedSchema = z.object({ roomId: z.string(), userId: z.string(), lastReadSeq: z.number().int() }).meta({ id: "ReceiptUpdated" });

export type ReceiptUpdated = z.output<typeof ReceiptUpdatedSchema>;
