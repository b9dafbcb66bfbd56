import type { BlockRepository } from "../domain/ports/block-repository.js";
import { publishWithin, type ClusterBus } from "./cluster-bus.js";
import { LoadingCache } from "./loading-cache.js";

const CHANNEL = "blocks";
// A safety net only: every block and unblock is announced on the bus before it is answered, so
// every node drops the two users' sets first; without the bus (Redis down then) within this long.
const SETS_TTL_MS = 30_000;
// Per map; an entry is a user id and a set that is nearly always the shared empty one.
const MAX_USERS = 100_000;
// Most users block nobody and are blocked by nobody: one set for all of them.
const EMPTY: ReadonlySet<string> = new Set();
const shared = (ids: ReadonlySet<string>) => (ids.size ? ids : EMPTY);
// How long block/unblock wait for Redis to take the notice (while it is away the notice waits in
// the offline queue): the contract's bound for a change to reach every node, as for a revoked
// session (1 s); past it the answer goes out and the other nodes learn by the notice or the TTL.
const NOTICE_WAIT_MS = 1_000;

/**
 * Blocks with each node's answer to "whom did this user block, who blocked this user" kept in
 * memory: the checks on every send, push and unread count cost a map lookup, and a query per
 * user and node at most every SETS_TTL_MS. A block or unblock through any node is announced on the
 * cluster bus, and block/unblock resolve only once the notice has reached Redis (which hands it
 * to every node before it answers): the change is in force on every node when the client gets
 * its answer. A read that started before a change does not store the old set after it
 * (LoadingCache).
 */
export class CachedBlockRepository implements BlockRepository {
  private readonly byBlocker: LoadingCache<ReadonlySet<string>>;
  private readonly byBlocked: LoadingCache<ReadonlySet<string>>;

  constructor(
    private readonly inner: BlockRepository,
    private readonly bus: ClusterBus,
  ) {
    const options = { ttlMs: SETS_TTL_MS, maxEntries: MAX_USERS };
    this.byBlocker = new LoadingCache((id) => inner.blockedBy(id).then(shared), options);
    this.byBlocked = new LoadingCache((id) => inner.blockersOf(id).then(shared), options);
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
    for (const id of userIds) {
      this.byBlocker.drop(id);
      this.byBlocked.drop(id);
    }
  }
}
