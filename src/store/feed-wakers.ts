import type { FeedWaker } from "../domain/ports/feed-log.js";
import type { ClusterBus } from "./cluster-bus.js";
import { KeyBuckets } from "./redis-key-buckets.js";
import type { RedisMode } from "./redis-connections.js";

const CHANNEL = "feed-wake";

/**
 * Wakes held polls on whichever node holds them: a wake names users and goes over the cluster
 * bus (one Redis subscription per node, not per waiter); each node fires its local listeners.
 *
 * On a Redis Cluster the wake-ups are spread by user over several sharded bus channels
 * (`feed-wake:<bucket>`), so no one shard carries them all; every node subscribes to every one.
 * (Per-user channels, subscribed while a poll is held, would spare nodes the wakes of users they
 * hold no poll for, but a subscription takes a round trip, and a poll must be subscribed before
 * it reads the log: see EventsFeed.poll. Wakes are ids only, and rarer than messages.)
 */
export class BusWaker implements FeedWaker {
  private byUser = new Map<string, Set<() => void>>();
  private readonly buckets: KeyBuckets;

  constructor(
    private readonly bus: ClusterBus,
    opts: { mode?: RedisMode } = {},
  ) {
    this.buckets = new KeyBuckets("", "", opts.mode ?? "single");
    const fire = (userIds: string[]) => {
      for (const id of userIds) for (const listener of [...(this.byUser.get(id) ?? [])]) listener();
    };
    for (const bucket of this.buckets.all()) bus.subscribe(this.channel(bucket), fire);
  }

  private channel(bucket: number) {
    return this.buckets.count === 1 ? CHANNEL : `${CHANNEL}:${bucket}`;
  }

  wake(userIds: string[]) {
    for (const [bucket, ids] of this.buckets.group(userIds, (id) => id)) void this.bus.publish(this.channel(bucket), ids);
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
