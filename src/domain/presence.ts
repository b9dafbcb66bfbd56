/**
 * Presence use cases (ARCHITECTURE.md, "Presence"): a user is online from their first connected
 * socket on any node until their last one goes, away while every connected socket says away.
 * Each transition goes to the user's friends and room peers as `presence:updated`
 * `{ userId, status, lastSeenAt }`.
 *
 * lastSeenAt: once offline, the time of the last disconnect (for a crashed node, its last
 * heartbeat covering the user); while online or away, the time the user came online. It is
 * therefore never null for a user seen once, and it does not change between a user's
 * online/away flips. (The PresenceReader, i.e. the tracker, answers the same value.)
 */
import type { Broadcaster } from "./ports/broadcaster.js";
import type { PresenceStatus } from "./ports/presence.js";
import type { PresenceChange, PresenceTracker } from "./ports/presence-tracker.js";
import type { RoomRepository } from "./ports/room-repository.js";
import type { FriendRepository } from "./ports/social-repository.js";

export type { PresenceChange, PresenceTracker };

export interface PresenceFanoutDeps {
  presenceTracker: PresenceTracker;
  friends: Pick<FriendRepository, "listFriends">;
  rooms: Pick<RoomRepository, "roomPeers">;
  broadcaster: Pick<Broadcaster, "toUsers">;
  onError(err: unknown, what: string): void;
}

/**
 * Publishes presence changes, one node's share of them. Per user, changes go out in the order
 * they were computed; and a change that a newer one (from any node) overtook while its audience
 * was being looked up is dropped, so the last status a friend receives is the current one.
 * Also publishes the changes the tracker finds by itself (expired sockets of crashed nodes).
 */
export class PresenceFanout {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: PresenceFanoutDeps) {
    deps.presenceTracker.onChange((change) => void this.publish(change));
  }

  /** Counts work that may still publish, for idle(). */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    void work.then(
      () => this.pending.delete(work),
      () => this.pending.delete(work),
    );
    return work;
  }

  publish(change: PresenceChange): Promise<void> {
    const { userId } = change;
    const next = (this.tails.get(userId) ?? Promise.resolve())
      .then(() => this.send(change))
      .catch((err: unknown) => this.deps.onError(err, "presence fan-out failed"));
    this.tails.set(userId, next);
    void next.then(() => {
      if (this.tails.get(userId) === next) this.tails.delete(userId);
    });
    return this.track(next);
  }

  /** Where failures of fire-and-forget presence work go (logged by the node). */
  reportError(err: unknown, what: string) {
    this.deps.onError(err, what);
  }

  /** Resolves once every tracked change has been published (graceful stop, before closing the stores). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private async send(change: PresenceChange) {
    const { userId } = change;
    const [friends, peers] = await Promise.all([this.deps.friends.listFriends(userId), this.deps.rooms.roomPeers(userId)]);
    const audience = new Set([...friends.map((f) => f.id), ...peers]);
    audience.delete(userId);
    if (!audience.size) return;
    const current = (await this.deps.presenceTracker.statusOf([userId])).get(userId);
    if (!current || current.status !== change.status) return;
    this.deps.broadcaster.toUsers([...audience], "presence:updated", { userId, status: current.status, lastSeenAt: current.lastSeenAt });
  }
}

export interface PresenceDeps {
  presenceTracker: PresenceTracker;
  presenceFanout: PresenceFanout;
}

// The tracker call is made synchronously in each use case (no await before it), so the calls
// about one socket reach the tracker in the order the socket's events happened.

/** A socket of the user connected (on this node). Never rejects: failures go to the fan-out's onError. */
export function socketConnected(deps: PresenceDeps, userId: string, socketId: string): Promise<void> {
  return deps.presenceFanout.track(
    deps.presenceTracker
      .connected(userId, socketId)
      .then(async (change) => {
        if (change) await deps.presenceFanout.publish(change);
      })
      .catch((err: unknown) => deps.presenceFanout.reportError(err, "presence: socket connected failed")),
  );
}

/** A socket of the user disconnected (on this node). Never rejects. */
export function socketDisconnected(deps: PresenceDeps, userId: string, socketId: string): Promise<void> {
  return deps.presenceFanout.track(
    deps.presenceTracker
      .disconnected(userId, socketId)
      .then(async (change) => {
        if (change) await deps.presenceFanout.publish(change);
      })
      .catch((err: unknown) => deps.presenceFanout.reportError(err, "presence: socket disconnected failed")),
  );
}

/** The socket says away (or back online); returns the user's status across all their sockets. */
export function setAway(deps: PresenceDeps, userId: string, socketId: string, away: boolean): Promise<PresenceStatus> {
  return deps.presenceFanout.track(
    deps.presenceTracker.setAway(userId, socketId, away).then(({ status, change }) => {
      // The ack need not wait for the fan-out.
      if (change) void deps.presenceFanout.publish(change);
      return status;
    }),
  );
}
