import type { Broadcaster, RoomBroadcasts, UserBroadcasts } from "../domain/ports/broadcaster.js";
import type { ChatServer } from "./deps.js";
import { roomChannel, userChannel } from "./events.js";

/** The Broadcaster port on Socket.IO: through the Redis adapter when configured, so every node delivers. */
export class SocketBroadcaster implements Broadcaster {
  constructor(private readonly io: ChatServer) {}

  toRoom<E extends keyof RoomBroadcasts>(roomId: string, event: E, payload: RoomBroadcasts[E], opts?: { exceptUserId?: string }) {
    let target = this.io.to(roomChannel(roomId));
    if (opts?.exceptUserId) target = target.except(userChannel(opts.exceptUserId));
    (target.emit as (e: string, p: unknown) => boolean)(event, payload);
  }

  toUsers<E extends keyof UserBroadcasts>(userIds: string[], event: E, payload: UserBroadcasts[E]) {
    if (!userIds.length) return;
    (this.io.to(userIds.map(userChannel)).emit as (e: string, p: unknown) => boolean)(event, payload);
  }

  detachUser(userId: string, roomId: string) {
    this.io.in(userChannel(userId)).socketsLeave(roomChannel(roomId));
  }
}
