import { z } from "zod";
import { connectionClosed, joinCall, leaveCall, relaySignal, type CallDeps } from "../domain/calls.js";
import { RoomPayload, RoomId } from "../protocol/fields.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";

const SignalPayload = z.strictObject({
  roomId: RoomId,
  toUserId: z.uuid({ error: "must be a user id" }),
  kind: z.enum(["offer", "answer", "candidate"]),
  // Any JSON (an RTCSessionDescriptionInit, an RTCIceCandidateInit, or null for end of
  // candidates); its size is checked by the use case (PAYLOAD_TOO_LARGE, not VALIDATION).
  data: z.unknown().refine((v) => v !== undefined, { error: "is required" }),
});

/** call:join / call:leave / call:signal, and leaving every call when the socket goes. */
export function register(socket: ChatSocket, deps: Pick<RealtimeDeps, "log" | "inflight" | "classify"> & CallDeps) {
  const userId = socket.data.userId;

  socket.on(
    "call:join",
    acked(socket, deps, "call:join", RoomPayload, async ({ roomId }) => ({ participants: await joinCall(deps, userId, socket.id, roomId) })),
  );

  socket.on(
    "call:leave",
    acked(socket, deps, "call:leave", RoomPayload, async ({ roomId }) => {
      await leaveCall(deps, userId, socket.id, roomId);
      return {};
    }),
  );

  socket.on(
    "call:signal",
    acked(socket, deps, "call:signal", SignalPayload, async (input) => {
      await relaySignal(deps, userId, socket.id, input);
      return {};
    }),
  );

  // Tracked, so a draining node announces its departures before it closes Redis.
  socket.on("disconnect", () => {
    void deps.inflight.track(connectionClosed(deps, userId, socket.id)).catch((err) => deps.log.warn({ err, userId }, "leaving calls on disconnect failed"));
  });
}
