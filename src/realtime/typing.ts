import { requireMember } from "../domain/rooms.js";
import { acked } from "./ack.js";
import type { ChatSocket, RealtimeDeps } from "./deps.js";

// Clients repeat "typing" while keys are pressed; one broadcast per room per 2 s is enough to
// keep the indicator lit, and "stopped" always passes so it goes out without delay.
const TYPING_THROTTLE_MS = 2_000;

export function register(socket: ChatSocket, deps: RealtimeDeps) {
  const userId = socket.data.userId;
  const lastSent = new Map<string, number>();

  socket.on(
    "typing",
    acked(socket, deps, "typing", async ({ roomId, isTyping }) => {
      await requireMember(deps, roomId, userId);
      const now = Date.now();
      if (isTyping && now - (lastSent.get(roomId) ?? 0) < TYPING_THROTTLE_MS) return {};
      if (isTyping) lastSent.set(roomId, now);
      else lastSent.delete(roomId);
      deps.broadcaster.toRoom(roomId, "typing", { roomId, userId, isTyping }, { exceptUserId: userId });
      return {};
    }),
  );
}
