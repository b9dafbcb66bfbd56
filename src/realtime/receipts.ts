import { markRead } from "../domain/receipts.js";
import type { RoomDeps } from "../domain/rooms.js";
import { acked, type AckDeps } from "./ack.js";
import type { ChatSocket } from "./deps.js";

/** receipt:read: the body of POST /api/rooms/:id/read plus roomId (src/protocol/receipts.ts). */
export function register(socket: ChatSocket, deps: RoomDeps & AckDeps) {
  socket.on(
    "receipt:read",
    acked(socket, deps, "receipt:read", async ({ roomId, seq }) => ({
      lastReadSeq: await markRead(deps, socket.data.userId, roomId, seq),
    })),
  );
}
