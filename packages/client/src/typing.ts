/**
 * Typing indicators (PROTOCOL.md, `typing`): never stored, so both halves run on timers. Outgoing,
 * keystrokes become at most one `typing: true` per few seconds and a `typing: false` once the
 * user pauses; incoming, a member shows as typing until they say they stopped, or until their
 * indicator has not been renewed for a while (their tab closed mid-word, their node died).
 */
import { Emitter } from "./emitter.js";
import type { Typing } from "./protocol.js";

export interface TypingOptions {
  /** At most one `isTyping: true` per room in this many ms (default 3,000). */
  renewMs?: number;
  /** `isTyping: false` after this long without a keystroke (default 5,000). */
  idleMs?: number;
  /** Another member counts as typing this long after their last `true` (default 8,000). */
  expireMs?: number;
}

type Announce = (roomId: string, isTyping: boolean) => void;

/** Turns keystrokes into `typing` events for one user's rooms. */
export class TypingNotifier {
  private readonly rooms = new Map<string, { sentAt: number; idle: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly announce: Announce,
    private readonly opts: TypingOptions = {},
  ) {}

  /** The user typed in `roomId`. */
  keystroke(roomId: string): void {
    const now = Date.now();
    const known = this.rooms.get(roomId);
    if (known) clearTimeout(known.idle);
    const renew = !known || now - known.sentAt >= (this.opts.renewMs ?? 3_000);
    const idle = setTimeout(() => this.stop(roomId), this.opts.idleMs ?? 5_000);
    this.rooms.set(roomId, { sentAt: renew ? now : known!.sentAt, idle });
    if (renew) this.announce(roomId, true);
  }

  /** The user sent the message or cleared the input: stop showing them as typing. */
  stop(roomId: string): void {
    const known = this.rooms.get(roomId);
    if (!known) return;
    clearTimeout(known.idle);
    this.rooms.delete(roomId);
    this.announce(roomId, false);
  }

  close(): void {
    for (const { idle } of this.rooms.values()) clearTimeout(idle);
    this.rooms.clear();
  }
}

/** Who is typing where, from the `typing` events of other members. */
export class TypingRoster extends Emitter<{ change: [roomId: string, userIds: string[]] }> {
  private readonly rooms = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();

  constructor(private readonly opts: TypingOptions = {}) {
    super();
  }

  apply(t: Typing): void {
    let users = this.rooms.get(t.roomId);
    const timer = users?.get(t.userId);
    if (timer !== undefined) clearTimeout(timer);
    if (!t.isTyping) {
      if (users?.delete(t.userId)) this.emit("change", t.roomId, this.typingIn(t.roomId));
      return;
    }
    if (!users) this.rooms.set(t.roomId, (users = new Map()));
    const wasTyping = users.has(t.userId);
    users.set(t.userId, setTimeout(() => this.apply({ ...t, isTyping: false }), this.opts.expireMs ?? 8_000));
    if (!wasTyping) this.emit("change", t.roomId, this.typingIn(t.roomId));
  }

  typingIn(roomId: string): string[] {
    return [...(this.rooms.get(roomId)?.keys() ?? [])];
  }

  /** After a reconnect nobody is known to be typing: their `false` may have been missed. */
  clear(): void {
    for (const [roomId, users] of this.rooms) {
      for (const timer of users.values()) clearTimeout(timer);
      if (users.size) this.emit("change", roomId, []);
    }
    this.rooms.clear();
  }
}
