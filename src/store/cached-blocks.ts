import type { BlockRepository } from "../domain/ports/block-repository.js";
import { publishWithin, type ClusterBus } from "./cluster-bus.js";

const CHANNEL = "blocks";
// A safety net only: every block and unblock is announced on the bus before it is answered, so
// every node drops the two users' sets first; without the bus (Redis down then) within this long.
const SETS_TTL_MS = 30_000;
// Per map; an entry is a user id and a set that is nearly always the shared empty one.
const MAX_USERS = 100_000;
// Most users block nobody and are blocked by nobody: one set for all of them.
const EMPTY: ReadonlySet<string> = new Set();
// How long block/unblock wait for Redis to take the notice (while it is away the notice waits in
// the offline queue): the contract's bound for a change to reach every node, as for a revoked
// session (1 s); past it the answer goes out and the other nodes learn by the notice or the TTL.
const NOTICE_WAIT_MS = 1_000;

/** One user → set map with a TTL, whose loads are shared by concurrent callers. */
class SetCache {
  private readonly entries = new Map<string, { ids: ReadonlySet<string>; at: number }>();
  private readonly loading = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly load: (userId: string) => Promise<ReadonlySet<string>>,
    /** Moves on every invalidation: a load that saw it move may have read the old rows. */
    private readonly generation: () => number,
  ) {}

  get(userId: string): Promise<ReadonlySet<string>> {
    const hit = this.entries.get(userId);
    if (hit && Date.now() - hit.at < SETS_TTL_MS) return Promise.resolve(hit.ids);
    const pending = this.loading.get(userId);
    if (pending) return pending;
    const started = this.generation();
    const load = this.load(userId)
      .then((ids) => {
        const set = ids.size ? ids : EMPTY;
        // Stored only if no block or unblock (of anyone: they are rare) arrived meanwhile.
        if (this.generation() === started) {
          this.entries.delete(userId);
          if (this.entries.size >= MAX_USERS) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(userId, { ids: set, at: Date.now() });
        }
        return set;
      })
      .finally(() => {
        if (this.loading.get(userId) === load) this.loading.delete(userId);
      });
    this.loading.set(userId, load);
    return load;
  }

  drop(userId: string) {
    this.entries.delete(userId);
    // A later caller must not join a load that may have read the rows before the change.
    this.loading.delete(userId);
  }
}

/**
 * Blocks with each node's answer to "whom did this user block, who blocked this user" kept in
 * memory: the checks on every send, push and unread count cost a map lookup, and a query per
 * user and node at most every SETS_TTL_MS. A block or unblock through any node is announced on the
 * cluster bus, and block/unblock resolve only once the notice has reached Redis (which hands it
 * to every node before it answers): the change is in force on every node when the client gets
 * its answer. A generation counter keeps a read that started before a change from storing the
 * old set after it.
 */
export class CachedBlockRepository implements BlockRepository {
  private generation = 0;
  private readonly byBlocker: SetCache;
  private readonly byBlocked: SetCache;

  constructor(
    private readonly inner: BlockRepository,
    private readonly bus: ClusterBus,
  ) {
    const generation = () => this.generation;
    this.byBlocker = new SetCache((id) => inner.blockedBy(id), generation);
    this.byBlocked = new SetCache((id) => inner.blockersOf(id), generation);
    bus.subscribe(CHANNEL, (ids) => this.dropLocal(ids));
  }

  async block(blockerId: string, blockedId: string) {
    await this.inner.block(blockerId, blockedId);
    await this.changed(blockerId, blockedId);
  }

  async unblock(blockerId: string, blockedId: string) {
    await this.inner.unblock(blockerId, blockedId);
    await this.changed(blockerId, blockedId);
  }

  list(blockerId: string) {
    // Only GET /api/blocks reads it, and it needs the profiles as they are now.
    return this.inner.list(blockerId);
  }

  async isBlocked(blockerId: string, blockedId: string) {
    return (await this.byBlocker.get(blockerId)).has(blockedId);
  }

  async eitherBlocked(a: string, b: string) {
    const [blockedByA, blockersOfA] = await Promise.all([this.byBlocker.get(a), this.byBlocked.get(a)]);
    return blockedByA.has(b) || blockersOfA.has(b);
  }

  blockedBy(userId: string) {
    return this.byBlocker.get(userId);
  }

  blockersOf(userId: string) {
    return this.byBlocked.get(userId);
  }

  /** Both users' sets change (one's blockedBy, the other's blockersOf): one notice drops both. */
  private async changed(blockerId: string, blockedId: string) {
    await publishWithin(this.bus, CHANNEL, [blockerId, blockedId], NOTICE_WAIT_MS);
  }

  private dropLocal(userIds: string[]) {
    this.generation++;
    for (const id of userIds) {
      this.byBlocker.drop(id);
      this.byBlocked.drop(id);
    }
  }
}
