import { z } from "zod";
import { markRead } from "../domain/rooms.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";
import { RoomId, Seq } from "../protocol/fields.js";

// Built once per module, not per socket: each schema instance costs kilobytes of heap.
const ReadPayload = z.strictObject({ roomId: RoomId, seq: Seq });

export function register(socket: ChatSocket, deps: RealtimeDeps) {
  socket.on(
    "receipt:read",
    acked(socket, deps, "receipt:read", ReadPayload, async ({ roomId, seq }) => ({
      lastReadSeq: await markRead(deps, socket.data.userId, roomId, seq),
    })),
  );
}
