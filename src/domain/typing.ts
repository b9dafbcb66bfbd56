/**
 * Typing indicators (PROTOCOL.md, "Socket.IO"): a member's "is typing" goes to the room's other
 * joined sockets, is never stored, and is throttled per connection.
 */
import type { Broadcaster } from "./ports/broadcaster.js";
import { requireMember, type RoomDeps } from "./rooms.js";

// Clients repeat "typing" while keys are pressed; one broadcast per room per 2 s is enough to
// keep the indicator lit, and "stopped" always passes so it goes out without delay.
const TYPING_THROTTLE_MS = 2_000;

export interface TypingDeps extends Pick<RoomDeps, "rooms"> {
  broadcaster: Pick<Broadcaster, "toRoom">;
}

/** One connection's memory of when it last announced typing in each room. */
export class TypingThrottle {
  private readonly lastSent = new Map<string, number>();

  /** Whether a report goes out now (and is remembered as sent). */
  admit(roomId: string, isTyping: boolean, now: number): boolean {
    if (isTyping && now - (this.lastSent.get(roomId) ?? 0) < TYPING_THROTTLE_MS) return false;
    if (isTyping) this.lastSent.set(roomId, now);
    else this.lastSent.delete(roomId);
    return true;
  }
}

/** Members only; the typist's own sockets are left out of the broadcast. */
export async function reportTyping(deps: TypingDeps, userId: string, input: { roomId: string; isTyping: boolean }, throttle: TypingThrottle, now = Date.now): Promise<void> {
  const { roomId, isTyping } = input;
  await requireMember(deps, roomId, userId);
  if (!throttle.admit(roomId, isTyping, now())) return;
  deps.broadcaster.toRoom(roomId, "typing", { roomId, userId, isTyping }, { exceptUserId: userId });
}
