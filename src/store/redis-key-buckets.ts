import type { RedisMode } from "./redis-connections.js";

/**
 * Where a family of keys lives whose Lua scripts touch several keys at once (a user's presence
 * hash and the expiry set its sockets are swept from; a call's room hash and its expiry set).
 *
 * One Redis: one bucket under the family's prefix, today's layout, unchanged (`chat:presence:`).
 * Redis Cluster: a script's keys must hash to one slot, so the family is split into `count`
 * buckets, each under a hash tag of its own (`chat:presence:{presence-7}:`): an id's keys and its
 * bucket's expiry set share that slot, and the buckets spread over the shards. Sweeps and batched
 * reads run per bucket.
 */
export class KeyBuckets {
  readonly count: number;
  private readonly tagged: boolean;

  constructor(
    private readonly base: string,
    private readonly tag: string,
    mode: RedisMode,
    clusterBuckets = CLUSTER_BUCKETS,
  ) {
    this.tagged = mode === "cluster";
    this.count = this.tagged ? clusterBuckets : 1;
  }

  /** The bucket of an id (FNV-1a of its text): the same on every node. */
  of(id: string): number {
    if (this.count === 1) return 0;
    let h = 0x811c9dc5;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
    return (h >>> 0) % this.count;
  }

  /** The prefix of every key of one bucket, ending in ":". */
  prefix(bucket: number): string {
    return this.tagged ? `${this.base}{${this.tag}-${bucket}}:` : this.base;
  }

  /** The prefix of the bucket an id belongs to. */
  prefixOf(id: string): string {
    return this.prefix(this.of(id));
  }

  all(): number[] {
    return [...Array(this.count).keys()];
  }

  /** `items` grouped by the bucket of `idOf(item)`, in first-seen order. */
  group<T>(items: readonly T[], idOf: (item: T) => string): Map<number, T[]> {
    const out = new Map<number, T[]>();
    for (const item of items) {
      const b = this.of(idOf(item));
      const list = out.get(b);
      if (list) list.push(item);
      else out.set(b, [item]);
    }
    return out;
  }
}

// Enough buckets that 3 to 16 shards each get several (the slots of the 16 tags spread over the
// masters as slots do), few enough that a node's sweep of all of them stays 16 scripts a period.
const CLUSTER_BUCKETS = 16;
