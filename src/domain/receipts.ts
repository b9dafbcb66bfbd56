/**
 * Read receipts (PROTOCOL.md): each member's read cursor in a room. One use case for both doors:
 * POST /api/rooms/:id/read and the socket's receipt:read (src/protocol/receipts.ts). The receipts
 * of a node go in batches (receipt-batches.ts).
 */
import { requireMember, type RoomDeps } from "./rooms.js";

/** The read cursor only moves forward, and never past the room's last message. */
export async function markRead(deps: RoomDeps, userId: string, roomId: string, seq: number): Promise<number> {
  await requireMember(deps, roomId, userId);
  return deps.receipts.submit(deps, userId, roomId, seq);
}
