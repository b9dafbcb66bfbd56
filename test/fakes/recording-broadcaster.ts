import type { Broadcaster, RoomBroadcasts, UserBroadcasts } from "../../src/domain/ports/broadcaster.js";

export type RoomBroadcast = { roomId: string; event: keyof RoomBroadcasts; payload: unknown; exceptUserId?: string };
export type UserBroadcast = { userIds: string[]; event: keyof UserBroadcasts; payload: unknown };

/** Broadcaster (src/domain/ports/broadcaster.ts) that records every call instead of reaching sockets. */
export class RecordingBroadcaster implements Broadcaster {
  readonly toRooms: RoomBroadcast[] = [];
  readonly toUserCalls: UserBroadcast[] = [];
  readonly detached: { userId: string; roomId: string }[] = [];

  toRoom<E extends keyof RoomBroadcasts>(roomId: string, event: E, payload: RoomBroadcasts[E], opts?: { exceptUserId?: string }): void {
    // Copied: a later change to the object must not rewrite what was sent.
    this.toRooms.push({ roomId, event, payload: structuredClone(payload), ...(opts?.exceptUserId ? { exceptUserId: opts.exceptUserId } : {}) });
  }

  detachUser(userId: string, roomId: string): void {
    this.detached.push({ userId, roomId });
  }

  toUsers<E extends keyof UserBroadcasts>(userIds: string[], event: E, payload: UserBroadcasts[E]): void {
    this.toUserCalls.push({ userIds: [...userIds], event, payload: structuredClone(payload) });
  }

  /** Payloads of one room event, in order. */
  roomEvents(event: keyof RoomBroadcasts, roomId?: string): unknown[] {
    return this.toRooms.filter((b) => b.event === event && (roomId === undefined || b.roomId === roomId)).map((b) => b.payload);
  }

  /** How many calls were made, of every kind. */
  get count(): number {
    return this.toRooms.length + this.toUserCalls.length + this.detached.length;
  }

  clear(): void {
    this.toRooms.length = 0;
    this.toUserCalls.length = 0;
    this.detached.length = 0;
  }
}
