import { participantsOf, type CallChange, type CallEntry, type CallJoin, type CallRegistry } from "../domain/ports/call-registry.js";
import type { Logger } from "../logger.js";
import { field, JOIN, LEAVE, member, parseEntries, PREFIX, replyError, SWEEP, SWEEP_BATCH, type CallCommands } from "./redis-call-scripts.js";
import { HEARTBEAT_BATCH, HEARTBEAT_LUA } from "./redis-expiry-heartbeat.js";
import type { ClusterBus } from "./cluster-bus.js";
import type { RedisClient, RedisMode } from "./redis-connections.js";
import { KeyBuckets } from "./redis-key-buckets.js";

/*
 * Call participants shared by every node, in Redis (the pattern of redis-presence.ts). Keys:
 *
 *   chat:call:room:<roomId>   HASH   "<userId> <connectionId>" -> joinedAt (epoch ms)
 *   chat:call:expiry          ZSET   "<roomId> <userId> <connectionId>" scored by expiry (epoch ms)
 *
 * Join, leave and sweep are Lua scripts, so the participant cap and "did this user just arrive
 * or leave" are decided atomically even when people join through different nodes at once.
 * Liveness: each node refreshes its own entries every heartbeat (ttl / 3) and sweeps expired
 * entries every min(5 s, ttl / 4); a script runs alone, so exactly one node removes an expired
 * entry and reports the change (a crashed node's participants drop out ~ttl after it died). A
 * node whose entries were swept while it stalled, or lost in a Redis restart, registers them
 * again at its next heartbeat.
 *
 * On a Redis Cluster the keys are split into buckets by room, each under a hash tag of its own
 * (`chat:call:{call-5}:room:<roomId>`, `chat:call:{call-5}:expiry`; redis-key-buckets.ts): a
 * room's hash shares its bucket's expiry set's slot, so every script stays on one slot; the
 * heartbeat and the sweep run per bucket.
 */

const EVICT_CHANNEL = "call-evict";

export interface RedisCallRegistryOptions {
  log: Logger;
  /** Evictions reach the node that holds the connection through it. */
  bus: ClusterBus;
  /** An entry not refreshed for this long is gone (its node crashed). */
  ttlMs: number;
  now?: () => number;
  /** The key layout of this Redis mode (default one Redis, today's keys). */
  mode?: RedisMode;
}

/** The shared registry; owns `redis` (a connection of its own, so a crash can drop it alone). */
export class RedisCallRegistry implements CallRegistry {
  private readonly redis: RedisClient & CallCommands;
  private readonly buckets: KeyBuckets;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** This node's connections: connectionId -> { userId, rooms }, for the heartbeat and leaveAll. */
  private readonly local = new Map<string, { userId: string; rooms: Map<string, number> }>();
  private readonly listeners: ((change: CallChange) => void)[] = [];
  private readonly timers: NodeJS.Timeout[];
  private heartbeating = false;
  private sweeping = false;
  private stopped = false;
  private readonly bus: ClusterBus;

  constructor(redis: RedisClient, opts: RedisCallRegistryOptions) {
    this.log = opts.log;
    this.buckets = new KeyBuckets(PREFIX, "call", opts.mode ?? "single");
    this.bus = opts.bus;
    // Only the node holding a connection may remove it for good: its heartbeat would register
    // again an entry removed behind its back (as after a Redis restart).
    this.bus.subscribe(EVICT_CHANNEL, ([roomId, userId]) => {
      if (roomId && userId) void this.evictLocal(roomId, userId).catch((err: unknown) => this.log.warn({ err, roomId }, "call eviction failed"));
    });
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? Date.now;
    redis.defineCommand("callJoin", { numberOfKeys: 2, lua: JOIN });
    redis.defineCommand("callLeave", { numberOfKeys: 2, lua: LEAVE });
    redis.defineCommand("callHeartbeat", { numberOfKeys: 1, lua: HEARTBEAT_LUA });
    redis.defineCommand("callSweep", { numberOfKeys: 1, lua: SWEEP });
    this.redis = redis as RedisClient & CallCommands;
    const heartbeatMs = Math.max(10, Math.round(this.ttlMs / 3));
    const sweepMs = Math.max(10, Math.min(5_000, Math.round(this.ttlMs / 4)));
    this.timers = [setInterval(() => void this.heartbeat(), heartbeatMs).unref(), setInterval(() => void this.sweep(), sweepMs).unref()];
  }

  async join(roomId: string, userId: string, connectionId: string, maxParticipants: number): Promise<CallJoin> {
    if (this.stopped) return { joined: false, participants: [] };
    const now = this.now();
    // Registered locally first: a disconnect racing this join then removes what the join adds.
    const mine = this.localEntry(userId, connectionId);
    const hadRoom = mine.rooms.has(roomId);
    if (!hadRoom) mine.rooms.set(roomId, now);
    try {
      const reply = await this.redis.callJoin(this.roomKey(roomId), this.expiryOf(roomId), field(userId, connectionId), member(roomId, userId, connectionId), now + this.ttlMs, now, maxParticipants, userId);
      if (!Array.isArray(reply) || reply.length !== 3) throw replyError("join", reply);
      const participants = participantsOf(parseEntries(reply[2], "join"));
      if (reply[0] !== 1) {
        if (!hadRoom) mine.rooms.delete(roomId);
        return { joined: false, participants };
      }
      return { joined: true, participants, changed: reply[1] === 1 };
    } catch (err) {
      if (!hadRoom) mine.rooms.delete(roomId);
      throw err;
    }
  }

  async leave(roomId: string, userId: string, connectionId: string): Promise<CallChange | null> {
    if (this.stopped) return null;
    const mine = this.local.get(connectionId);
    mine?.rooms.delete(roomId);
    if (mine && !mine.rooms.size) this.local.delete(connectionId);
    const reply = await this.redis.callLeave(this.roomKey(roomId), this.expiryOf(roomId), field(userId, connectionId), member(roomId, userId, connectionId), userId);
    if (!Array.isArray(reply) || reply.length !== 2) throw replyError("leave", reply);
    return reply[0] === 1 ? { roomId, participants: participantsOf(parseEntries(reply[1], "leave")) } : null;
  }

  async leaveAll(userId: string, connectionId: string): Promise<CallChange[]> {
    const rooms = [...(this.local.get(connectionId)?.rooms.keys() ?? [])];
    const changes = await Promise.all(rooms.map((roomId) => this.leave(roomId, userId, connectionId)));
    return changes.filter((c): c is CallChange => c !== null);
  }

  async entries(roomId: string): Promise<CallEntry[]> {
    // Nothing is sent once stopped: a cluster client closed under a call can leave it queued forever.
    if (this.stopped) return [];
    return parseEntries(await this.redis.hgetall(this.roomKey(roomId)).then((h) => Object.entries(h).flat()), "entries");
  }

  async evict(roomId: string, userId: string): Promise<void> {
    await this.bus.publish(EVICT_CHANNEL, [roomId, userId]);
  }

  private async evictLocal(roomId: string, userId: string) {
    const connections = [...this.local].filter(([, e]) => e.userId === userId && e.rooms.has(roomId)).map(([id]) => id);
    for (const connectionId of connections) {
      const change = await this.leave(roomId, userId, connectionId);
      if (change) this.emit(change);
    }
  }

  private roomKey(roomId: string) {
    return `${this.buckets.prefixOf(roomId)}room:${roomId}`;
  }

  private expiryKey(bucket: number) {
    return `${this.buckets.prefix(bucket)}expiry`;
  }

  private expiryOf(roomId: string) {
    return this.expiryKey(this.buckets.of(roomId));
  }

  onChange(listener: (change: CallChange) => void) {
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

  private stop() {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    this.local.clear();
  }

  private localEntry(userId: string, connectionId: string) {
    let mine = this.local.get(connectionId);
    if (!mine) this.local.set(connectionId, (mine = { userId, rooms: new Map() }));
    return mine;
  }

  private emit(change: CallChange) {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.log.error({ err }, "call listener failed");
      }
    }
  }

  /** Refreshes this node's entries; registers again any that were swept or lost meanwhile. */
  private async heartbeat() {
    if (this.heartbeating || this.stopped || !this.local.size) return;
    this.heartbeating = true;
    try {
      const now = this.now();
      const entries = [...this.local].flatMap(([connectionId, { userId, rooms }]) => [...rooms.keys()].map((roomId) => ({ roomId, m: member(roomId, userId, connectionId) })));
      const batches: Promise<unknown>[] = [];
      for (const [bucket, inBucket] of this.buckets.group(entries, (e) => e.roomId)) {
        const members = inBucket.map((e) => e.m);
        for (let i = 0; i < members.length; i += HEARTBEAT_BATCH) batches.push(this.redis.callHeartbeat(this.expiryKey(bucket), now + this.ttlMs, ...members.slice(i, i + HEARTBEAT_BATCH)));
      }
      // Each bucket on its own: a shard failing over holds up only its own buckets' refresh.
      const settled = await Promise.allSettled(batches);
      const failed = settled.find((r) => r.status === "rejected");
      if (failed && !this.stopped) this.log.warn({ err: failed.reason }, "calls heartbeat failed");
      const replies = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      for (const reply of replies) {
        if (!Array.isArray(reply)) throw replyError("heartbeat", reply);
        for (const entry of reply) {
          const [roomId, userId, connectionId] = String(entry).split(" ");
          const mine = connectionId ? this.local.get(connectionId) : undefined;
          if (this.stopped || !roomId || !connectionId || !mine || mine.userId !== userId || !mine.rooms.has(roomId)) continue;
          this.log.info({ roomId, userId, connectionId }, "calls: entry registered again after it was lost");
          // No cap here: the connection was admitted before; its entry only went missing.
          const uid = mine.userId;
          const again = await this.redis.callJoin(this.roomKey(roomId), this.expiryOf(roomId), field(uid, connectionId), member(roomId, uid, connectionId), this.now() + this.ttlMs, mine.rooms.get(roomId)!, Number.MAX_SAFE_INTEGER, uid);
          if (Array.isArray(again) && again[1] === 1) this.emit({ roomId, participants: participantsOf(parseEntries(again[2], "heartbeat join")) });
        }
      }
    } catch (err) {
      if (!this.stopped) this.log.warn({ err }, "calls heartbeat failed");
    } finally {
      this.heartbeating = false;
    }
  }

  /** Removes expired entries (of crashed nodes) and reports the calls they changed. */
  private async sweep() {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    // Bucket by bucket: a shard failing over holds up only its own buckets.
    for (const bucket of this.buckets.all()) {
      try {
        await this.sweepBucket(bucket);
      } catch (err) {
        if (!this.stopped) this.log.warn({ err, bucket }, "calls sweep failed");
      }
    }
    this.sweeping = false;
  }

  private async sweepBucket(bucket: number) {
    for (;;) {
      const reply = await this.redis.callSweep(this.expiryKey(bucket), this.now(), SWEEP_BATCH, this.buckets.prefix(bucket));
      if (!Array.isArray(reply) || typeof reply[0] !== "number" || reply.length % 2 !== 1) throw replyError("sweep", reply);
      for (let i = 1; i < reply.length; i += 2) {
        const roomId = reply[i];
        if (typeof roomId !== "string") throw replyError("sweep", reply);
        this.emit({ roomId, participants: participantsOf(parseEntries(reply[i + 1], "sweep")) });
      }
      if (reply[0] < SWEEP_BATCH || this.stopped) break;
    }
  }
}
