/**
 * A node's memory of values read by key (a room's members, a user's block sets): kept for
 * `ttlMs`, at most `maxEntries` of them (the oldest goes first), and each read shared by every
 * caller that asks while it runs (a busy room asks many times during one read).
 *
 * `drop(key)` is for a change made anywhere (the caches hear of it on the cluster bus): it forgets
 * the entry and the read under way, and a read that started before the drop does not store what
 * it got, since it may have seen the rows before the change.
 */
export class LoadingCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  private readonly loading = new Map<string, Promise<V>>();
  /** Drops counted in one sequence; per key, the count at its last drop (bounded: see drop). */
  private drops = 0;
  private readonly droppedAt = new Map<string, number>();
  /** Keys forgotten from droppedAt count as dropped at this point. */
  private forgottenAt = 0;

  constructor(
    private readonly read: (key: string) => Promise<V>,
    private readonly options: { ttlMs: number; maxEntries: number },
  ) {}

  get(key: string): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.options.ttlMs) return Promise.resolve(hit.value);
    const pending = this.loading.get(key);
    if (pending) return pending;
    const startedAt = this.drops;
    const load = this.read(key)
      .then((value) => {
        if ((this.droppedAt.get(key) ?? this.forgottenAt) <= startedAt) this.store(key, value);
        return value;
      })
      .finally(() => {
        if (this.loading.get(key) === load) this.loading.delete(key);
      });
    this.loading.set(key, load);
    return load;
  }

  drop(key: string): void {
    this.entries.delete(key);
    // A later caller must not join a read that may have seen the rows before the change.
    this.loading.delete(key);
    this.drops++;
    if (this.droppedAt.size >= this.options.maxEntries) {
      // Forgetting which keys dropped when: every read under way now counts as stale.
      this.droppedAt.clear();
      this.forgottenAt = this.drops;
    }
    this.droppedAt.set(key, this.drops);
  }

  private store(key: string, value: V): void {
    this.entries.delete(key);
    if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, at: Date.now() });
  }
}
