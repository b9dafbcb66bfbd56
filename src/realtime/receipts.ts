import { markRead } from "../domain/rooms.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";

/** receipt:read: the body of POST /api/rooms/:id/read plus roomId (src/protocol/receipts.ts). */
export function register(socket: ChatSocket, deps: RealtimeDeps) {
  socket.on(
    "receipt:read",
    acked(socket, deps, "receipt:read", async ({ roomId, seq }) => ({
      lastReadSeq: await markRead(deps, socket.data.userId, roomId, seq),
    })),
  );
}
