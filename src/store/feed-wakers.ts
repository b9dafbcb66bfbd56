import type { FeedWaker } from "../domain/ports/feed-log.js";
import type { ClusterBus } from "./cluster-bus.js";

const CHANNEL = "feed-wake";

/**
 * Wakes held polls on whichever node holds them: a wake names users and goes over the cluster
 * bus (one Redis subscription per node, not per waiter); each node fires its local listeners.
 */
export class BusWaker implements FeedWaker {
  private byUser = new Map<string, Set<() => void>>();

  constructor(private readonly bus: ClusterBus) {
    bus.subscribe(CHANNEL, (userIds) => {
      for (const id of userIds) for (const listener of [...(this.byUser.get(id) ?? [])]) listener();
    });
  }

  wake(userIds: string[]) {
    this.bus.publish(CHANNEL, userIds);
  }

  subscribe(userId: string, listener: () => void) {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.byUser.delete(userId);
    };
  }

  async close() {}
}
