import type { Redis } from "ioredis";
import type { FeedWaker } from "../domain/ports/feed-log.js";
import type { Logger } from "../logger.js";

/** Node-local listeners by user; both wakers deliver through it. */
class Listeners {
  private byUser = new Map<string, Set<() => void>>();

  add(userId: string, listener: () => void): () => void {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.byUser.delete(userId);
    };
  }

  fire(userIds: Iterable<string>) {
    for (const id of userIds) for (const listener of [...(this.byUser.get(id) ?? [])]) listener();
  }
}

export class InProcessWaker implements FeedWaker {
  private listeners = new Listeners();

  wake(userIds: string[]) {
    this.listeners.fire(userIds);
  }

  subscribe(userId: string, listener: () => void) {
    return this.listeners.add(userId, listener);
  }

  async close() {}
}

const CHANNEL = "chat:feed:wake";
const UUID = /^[0-9a-f-]{36}$/i;

/**
 * One Redis subscription per node (not per waiter): a wake names users, and each node fires
 * its own local listeners. Peer input is untrusted: anything malformed is dropped.
 */
export class RedisWaker implements FeedWaker {
  private listeners = new Listeners();

  /** Owns `sub` (a connection in subscriber mode); `pub` is shared. */
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly log: Logger,
  ) {
    void sub.subscribe(CHANNEL).catch((err) => log.error({ err }, "feed wake subscription failed"));
    sub.on("message", (channel: string, payload: string) => {
      if (channel !== CHANNEL) return;
      let ids: unknown;
      try {
        ids = JSON.parse(payload);
      } catch {
        return;
      }
      if (Array.isArray(ids)) this.listeners.fire(ids.filter((id): id is string => typeof id === "string" && UUID.test(id)));
    });
  }

  wake(userIds: string[]) {
    if (!userIds.length) return;
    // Local listeners at once; the publish reaches the other nodes (and this one, harmlessly).
    this.listeners.fire(userIds);
    this.pub.publish(CHANNEL, JSON.stringify(userIds)).catch((err) => this.log.warn({ err: err.message }, "feed wake publish failed"));
  }

  subscribe(userId: string, listener: () => void) {
    return this.listeners.add(userId, listener);
  }

  async close() {
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
