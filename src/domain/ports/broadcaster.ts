import type { ServerPayload } from "../../protocol/socket-maps.js";

/**
 * Live fan-out to connected sockets, on every node. Fire-and-forget: durability lives in the stores.
 * Event names and payloads are the protocol's server events (src/protocol/socket-events.ts), as
 * types only: the domain knows what it announces, never how it travels.
 */
export type RoomBroadcasts = { [E in "message:new" | "message:updated" | "receipt:updated" | "typing" | "player:updated" | "call:updated"]: ServerPayload<E> };
export type UserBroadcasts = { [E in "event" | "presence:updated"]: ServerPayload<E> };

export interface Broadcaster {
  /** Every socket joined to the room (room:join), except the sockets of `exceptUserId`. */
  toRoom<E extends keyof RoomBroadcasts>(roomId: string, event: E, payload: RoomBroadcasts[E], opts?: { exceptUserId?: string }): void;
  /** Takes every socket of the user out of the room's broadcasts (after leaving or removal). */
  detachUser(userId: string, roomId: string): void;
  /** Every socket of each user. */
  toUsers<E extends keyof UserBroadcasts>(userIds: string[], event: E, payload: UserBroadcasts[E]): void;
}
