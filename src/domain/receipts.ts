/**
 * Read receipts (PROTOCOL.md): each member's read cursor in a room. One use case for both doors:
 * POST /api/rooms/:id/read and the socket's receipt:read (src/protocol/receipts.ts).
 */
import { NotFound } from "./errors.js";
import { requireMember, type RoomDeps } from "./rooms.js";

/** The read cursor only moves forward, and never past the room's last message. */
export async function markRead(deps: RoomDeps, userId: string, roomId: string, seq: number): Promise<number> {
  await requireMember(deps, roomId, userId);
  const lastSeq = (await deps.messages.heads([roomId])).get(roomId)?.lastSeq ?? 0;
  const result = await deps.rooms.advanceRead(roomId, userId, Math.min(seq, lastSeq));
  if (!result) throw new NotFound("no such room");
  if (result.moved) {
    deps.broadcaster.toRoom(roomId, "receipt:updated", { roomId, userId, lastReadSeq: result.lastReadSeq });
    await deps.feed.roomChanged(roomId, [userId]);
  }
  return result.lastReadSeq;
}
