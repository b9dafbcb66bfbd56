import type { Presence } from "../domain/ports/presence.js";
import type { PresenceChange, PresenceTracker } from "../domain/ports/presence-tracker.js";
import type { Logger } from "../logger.js";
import type { RedisClient, RedisMode } from "./redis-connections.js";
import { HEARTBEAT_BATCH } from "./redis-expiry-heartbeat.js";
import {
  member,
  parseSeen,
  parseStatus,
  parseTransition,
  PresenceKeys,
  presenceReplyError,
  SEEN_TTL_SECONDS,
  presenceStrings,
  UUID,
  withPresenceCommands,
  type PresenceCommands,
} from "./redis-presence-scripts.js";

/*
 * Presence shared by every node, in Redis. Keys (all under "chat:presence:"):
 *
 *   chat:presence:user:<userId>   HASH   socketId -> "online" | "away"   (the user's connected sockets)
 *   chat:presence:expiry          ZSET   "<userId> <socketId>" scored by expiry (epoch ms)
 *   chat:presence:seen:<userId>   STRING epoch ms: when the user came online while connected,
 *                                         their last disconnect once offline (1 year expiry)
 *
 * A user's status is derived from their hash alone: no field = offline, every field "away" =
 * away, else online. Every change (connect, disconnect, away, sweep) is one Lua script that reads
 * the status before, mutates, and reads it after, so transitions are computed atomically: two
 * devices connecting at once give one "online", the last of two disconnecting one "offline".
 *
 * Liveness: each node refreshes the expiry of its own sockets every heartbeatMs (default 15 s) to
 * now + ttlMs (45 s). Every node sweeps every sweepMs (5 s): one script pops the entries whose
 * expiry has passed and removes them from their users' hashes; a script runs alone, so exactly
 * one node removes an entry and reports the transition it causes. A crashed node's users are
 * therefore offline at most ttl + sweep (~50 s) after its last heartbeat. A node whose sockets
 * were swept (stalled past the ttl) or lost (Redis restarted) finds them missing at its next
 * heartbeat and registers them again.
 *
 * On a Redis Cluster the keys are split into buckets by user, each under a hash tag of its own
 * (redis-presence-scripts.ts PresenceKeys): a user's keys share their bucket's expiry set's slot,
 * so every script (the sweep derives users' keys from the set's members) stays on one slot; the
 * heartbeat, the sweep and status reads run per bucket.
 */

const SWEEP_BATCH = 200;
const STATUS_BATCH = 500;

export interface RedisPresenceOptions {
  log: Logger;
  /** A socket not refreshed for this long is gone (its node crashed). Default 45 s. */
  ttlMs?: number;
  /** How often a node refreshes its sockets' expiry. Default ttl / 3. */
  heartbeatMs?: number;
  /** How often a node removes expired sockets. Default min(5 s, ttl / 4). */
  sweepMs?: number;
  now?: () => number;
  /** The key layout of this Redis mode (default one Redis, today's keys). */
  mode?: RedisMode;
}

export const DEFAULT_PRESENCE_TTL_MS = 45_000;

/** The shared tracker; owns `redis` (a connection of its own, so a crash can drop it alone). */
export class RedisPresenceTracker implements PresenceTracker {
  private readonly redis: RedisClient & PresenceCommands;
  private readonly keys: PresenceKeys;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** This node's sockets, for the heartbeat. */
  private readonly local = new Map<string, { userId: string; state: "online" | "away" }>();
  private readonly listeners: ((change: PresenceChange) => void)[] = [];
  private readonly timers: NodeJS.Timeout[];
  private heartbeating = false;
  private sweeping = false;
  private stopped = false;

  constructor(redis: RedisClient, opts: RedisPresenceOptions) {
    this.log = opts.log;
    this.keys = new PresenceKeys(opts.mode);
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? DEFAULT_PRESENCE_TTL_MS;
    const heartbeatMs = opts.heartbeatMs ?? Math.max(10, Math.round(this.ttlMs / 3));
    const sweepMs = opts.sweepMs ?? Math.max(10, Math.min(5_000, Math.round(this.ttlMs / 4)));
    if (heartbeatMs >= this.ttlMs) throw new Error("presence heartbeat must be shorter than its ttl");
    this.redis = withPresenceCommands(redis);
    // The first sweep also clears what nodes that died while none was running left behind.
    this.timers = [setInterval(() => void this.heartbeat(), heartbeatMs).unref(), setInterval(() => void this.sweep(), sweepMs).unref()];
  }

  async connected(userId: string, socketId: string): Promise<PresenceChange | null> {
    if (this.stopped) return null;
    this.local.set(socketId, { userId, state: "online" });
    return this.unlessStopped(this.add(userId, socketId, "online").then((r) => r.change));
  }

  async disconnected(userId: string, socketId: string): Promise<PresenceChange | null> {
    if (this.stopped) return null;
    this.local.delete(socketId);
    const now = this.now();
    const k = this.keys;
    const reply = this.redis.presenceRemove(k.userKey(userId), k.expiryOf(userId), k.seenKey(userId), socketId, member(userId, socketId), now, SEEN_TTL_SECONDS);
    return this.unlessStopped(reply.then((r) => parseTransition(r, userId, "remove").change));
  }

  async setAway(userId: string, socketId: string, away: boolean) {
    if (this.stopped) return { status: "offline" as const, change: null };
    const state = away ? "away" : "online";
    const mine = this.local.get(socketId);
    if (mine && !this.stopped) mine.state = state;
    const reply = await this.redis.presenceSetState(this.keys.userKey(userId), this.keys.seenKey(userId), socketId, state);
    return parseTransition(reply, userId, "set state");
  }

  async statusOf(userIds: string[]): Promise<Map<string, Presence>> {
    const out = new Map<string, Presence>();
    // Nothing is sent once stopped: a cluster client closed under a call can leave it queued forever.
    if (this.stopped) return new Map(userIds.map((id) => [id, { status: "offline", lastSeenAt: null }]));
    const batches: Promise<void>[] = [];
    // One script call reads one bucket's keys (one slot on a cluster).
    for (const ids of this.keys.buckets.group([...new Set(userIds)], (id) => id).values()) {
      for (let i = 0; i < ids.length; i += STATUS_BATCH) {
        const batch = ids.slice(i, i + STATUS_BATCH);
        const keys = batch.flatMap((id) => [this.keys.userKey(id), this.keys.seenKey(id)]);
        batches.push(
          this.redis.presenceStatus(keys.length, ...keys).then((reply) => {
            const values = presenceStrings(reply, "status");
            if (values.length !== keys.length) throw presenceReplyError("status", reply);
            batch.forEach((id, j) => out.set(id, { status: parseStatus(values[2 * j], "status"), lastSeenAt: parseSeen(values[2 * j + 1]) }));
          }),
        );
      }
    }
    await Promise.all(batches);
    return new Map(userIds.map((id) => [id, out.get(id) ?? { status: "offline", lastSeenAt: null }]));
  }

  onChange(listener: (change: PresenceChange) => void) {
    this.listeners.push(listener);
  }

  async close() {
    this.stop();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  abandon() {
    this.stop();
    this.redis.disconnect();
  }

  /** A call cut off by abandon() (the connection dropped under it) reports nothing rather than failing. */
  private async unlessStopped<T>(work: Promise<T | null>): Promise<T | null> {
    try {
      return await work;
    } catch (err) {
      if (this.stopped) return null;
      throw err;
    }
  }

  private stop() {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.local.clear();
  }

  private async add(userId: string, socketId: string, state: "online" | "away") {
    const now = this.now();
    const k = this.keys;
    const reply = await this.redis.presenceAdd(k.userKey(userId), k.expiryOf(userId), k.seenKey(userId), socketId, member(userId, socketId), now + this.ttlMs, now, state, SEEN_TTL_SECONDS);
    return parseTransition(reply, userId, "add");
  }

  private emit(change: PresenceChange) {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err }, "presence listener failed");
      }
    }
  }

  /** Refreshes this node's sockets; registers again any that were swept or lost meanwhile. */
  private async heartbeat() {
    if (this.heartbeating || this.stopped || !this.local.size) return;
    this.heartbeating = true;
    try {
      const expiresAt = this.now() + this.ttlMs;
      const batches: Promise<unknown>[] = [];
      for (const [bucket, sockets] of this.keys.buckets.group([...this.local], ([, { userId }]) => userId)) {
        const members = sockets.map(([socketId, { userId }]) => member(userId, socketId));
        for (let i = 0; i < members.length; i += HEARTBEAT_BATCH) batches.push(this.redis.presenceHeartbeat(this.keys.expiryKey(bucket), expiresAt, ...members.slice(i, i + HEARTBEAT_BATCH)));
      }
      // Each bucket on its own: a shard failing over holds up only its own buckets' refresh.
      const settled = await Promise.allSettled(batches);
      const failed = settled.find((r) => r.status === "rejected");
      if (failed && !this.stopped) this.log.warn({ err: failed.reason }, "presence heartbeat failed");
      const missing = settled.flatMap((r) => (r.status === "fulfilled" ? presenceStrings(r.value, "heartbeat") : []));
      for (const entry of missing) {
        const [userId, socketId] = entry.split(" ");
        // Only if still connected: a disconnect made after this check is issued after the add.
        const mine = socketId ? this.local.get(socketId) : undefined;
        if (this.stopped || !mine || mine.userId !== userId) continue;
        this.log.info({ userId, socketId }, "presence: socket registered again after its entry was lost");
        const { change } = await this.add(mine.userId, socketId!, mine.state);
        if (change) this.emit(change);
      }
    } catch (err) {
      if (!this.stopped) this.log.warn({ err }, "presence heartbeat failed");
    } finally {
      this.heartbeating = false;
    }
  }

  /** Removes expired sockets (of crashed nodes) and reports the transitions this node caused. */
  private async sweep() {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    // Bucket by bucket: a shard failing over holds up only its own buckets.
    for (const bucket of this.keys.buckets.all()) {
      try {
        await this.sweepBucket(bucket);
      } catch (err) {
        if (!this.stopped) this.log.warn({ err, bucket }, "presence sweep failed");
      }
    }
    this.sweeping = false;
  }

  private async sweepBucket(bucket: number) {
    for (;;) {
      const reply = await this.redis.presenceSweep(this.keys.expiryKey(bucket), this.now(), this.ttlMs, SWEEP_BATCH, this.keys.buckets.prefix(bucket), SEEN_TTL_SECONDS);
      if (!Array.isArray(reply) || typeof reply[0] !== "number") throw presenceReplyError("sweep", reply);
      const [removed, ...rest] = reply as [number, ...unknown[]];
      const changes = presenceStrings(rest, "sweep");
      if (changes.length % 4) throw presenceReplyError("sweep", reply);
      for (let i = 0; i < changes.length; i += 4) {
        const [userId, before, after, seen] = changes.slice(i, i + 4) as [string, string, string, string];
        if (!UUID.test(userId)) continue;
        const status = parseStatus(after, "sweep");
        if (parseStatus(before, "sweep") !== status) this.emit({ userId, status, lastSeenAt: parseSeen(seen) });
      }
      if (removed < SWEEP_BATCH || this.stopped) break;
    }
  }
}
