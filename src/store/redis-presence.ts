import type { Redis } from "ioredis";
import type { Presence, PresenceStatus } from "../domain/ports/presence.js";
import type { PresenceChange, PresenceTracker } from "../domain/ports/presence-tracker.js";
import type { Logger } from "../logger.js";
import { HEARTBEAT_BATCH, HEARTBEAT_LUA } from "./redis-expiry-heartbeat.js";

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
 * (The sweep script derives per-user keys from zset members, which standalone Redis allows but
 * Redis Cluster does not; a cluster deployment would hash-tag the presence keys into one slot.)
 */

const PREFIX = "chat:presence:";
const EXPIRY_KEY = `${PREFIX}expiry`;
const userKey = (userId: string) => `${PREFIX}user:${userId}`;
const seenKey = (userId: string) => `${PREFIX}seen:${userId}`;
const member = (userId: string, socketId: string) => `${userId} ${socketId}`;

const SEEN_TTL_SECONDS = 365 * 86_400;
const SWEEP_BATCH = 200;
const STATUS_BATCH = 500;

const LUA_HELPERS = `
local function status(key)
  local states = redis.call('HVALS', key)
  if #states == 0 then return 'offline' end
  for _, s in ipairs(states) do
    if s ~= 'away' then return 'online' end
  end
  return 'away'
end
local function seen(key)
  return redis.call('GET', key) or ''
end
`;

// KEYS: user hash, expiry zset, seen. ARGV: socketId, member, expiresAt, now, state, seen ttl (s).
const ADD = `${LUA_HELPERS}
local before = status(KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
if before == 'offline' then redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[6]) end
return {before, status(KEYS[1]), seen(KEYS[3])}
`;

// KEYS: user hash, expiry zset, seen. ARGV: socketId, member, now, seen ttl (s).
const REMOVE = `${LUA_HELPERS}
local before = status(KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 and before ~= 'offline' and status(KEYS[1]) == 'offline' then
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
end
return {before, status(KEYS[1]), seen(KEYS[3])}
`;

// KEYS: user hash, seen. ARGV: socketId, state. A socket that is not registered stays so.
const SET_STATE = `${LUA_HELPERS}
local before = status(KEYS[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return {before, status(KEYS[1]), seen(KEYS[2])}
`;

// KEYS: expiry zset. ARGV: now, ttl, batch size, key prefix, seen ttl (s).
// Returns {entries removed, then per changed user: userId, before, after, seen}.
// An expired user's lastSeenAt is their last heartbeat (expiry - ttl), never before they came online.
const SWEEP = `${LUA_HELPERS}
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[3]))
local first, beat, order = {}, {}, {}
for i = 1, #due, 2 do
  local entry = due[i]
  redis.call('ZREM', KEYS[1], entry)
  local sp = string.find(entry, ' ', 1, true)
  if sp and sp > 1 then
    local user = string.sub(entry, 1, sp - 1)
    local ukey = ARGV[4] .. 'user:' .. user
    if first[user] == nil then
      first[user] = status(ukey)
      beat[user] = 0
      order[#order + 1] = user
    end
    redis.call('HDEL', ukey, string.sub(entry, sp + 1))
    local b = math.min(now, (tonumber(due[i + 1]) or now) - ttl)
    if b > beat[user] then beat[user] = b end
  end
end
local out = {#due / 2}
for _, user in ipairs(order) do
  local skey = ARGV[4] .. 'seen:' .. user
  local after = status(ARGV[4] .. 'user:' .. user)
  if after ~= first[user] then
    if after == 'offline' then
      local since = tonumber(redis.call('GET', skey) or '0') or 0
      redis.call('SET', skey, string.format('%.0f', math.max(since, beat[user])), 'EX', ARGV[5])
    end
    out[#out + 1] = user
    out[#out + 1] = first[user]
    out[#out + 1] = after
    out[#out + 1] = seen(skey)
  end
end
return out
`;

// KEYS: user hash and seen key of each user, alternating. Returns status and seen per user.
const STATUS = `${LUA_HELPERS}
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = status(KEYS[i])
  out[#out + 1] = seen(KEYS[i + 1])
end
return out
`;

type Arg = string | number;
interface PresenceCommands {
  presenceAdd(k1: string, k2: string, k3: string, ...argv: Arg[]): Promise<unknown>;
  presenceRemove(k1: string, k2: string, k3: string, ...argv: Arg[]): Promise<unknown>;
  presenceSetState(k1: string, k2: string, ...argv: Arg[]): Promise<unknown>;
  presenceHeartbeat(k1: string, ...argv: Arg[]): Promise<unknown>;
  presenceSweep(k1: string, ...argv: Arg[]): Promise<unknown>;
  presenceStatus(numKeys: number, ...keys: string[]): Promise<unknown>;
}

// ---- validation of replies: our scripts wrote them, but nothing read from Redis is trusted ----

const UUID = /^[0-9a-f-]{36}$/i;

class PresenceReplyError extends Error {
  constructor(what: string, reply: unknown) {
    super(`unexpected presence reply from Redis (${what}): ${JSON.stringify(reply)?.slice(0, 200)}`);
  }
}

function parseStatus(value: unknown, what: string): PresenceStatus {
  if (value === "online" || value === "away" || value === "offline") return value;
  throw new PresenceReplyError(what, value);
}

/** Epoch ms as a decimal string; anything else (missing, corrupt) reads as never seen. */
function parseSeen(value: unknown): string | null {
  if (typeof value !== "string" || !/^\d{1,15}$/.test(value)) return null;
  return new Date(Number(value)).toISOString();
}

function stringArray(reply: unknown, what: string): string[] {
  if (!Array.isArray(reply) || !reply.every((v) => typeof v === "string")) throw new PresenceReplyError(what, reply);
  return reply;
}

function parseTransition(reply: unknown, userId: string, what: string): { status: PresenceStatus; change: PresenceChange | null } {
  const [before, after, seen] = stringArray(reply, what);
  const status = parseStatus(after, what);
  return { status, change: parseStatus(before, what) === status ? null : { userId, status, lastSeenAt: parseSeen(seen) } };
}

export interface RedisPresenceOptions {
  log: Logger;
  /** A socket not refreshed for this long is gone (its node crashed). Default 45 s. */
  ttlMs?: number;
  /** How often a node refreshes its sockets' expiry. Default ttl / 3. */
  heartbeatMs?: number;
  /** How often a node removes expired sockets. Default min(5 s, ttl / 4). */
  sweepMs?: number;
  now?: () => number;
}

export const DEFAULT_PRESENCE_TTL_MS = 45_000;

/** The shared tracker; owns `redis` (a connection of its own, so a crash can drop it alone). */
export class RedisPresenceTracker implements PresenceTracker {
  private readonly redis: Redis & PresenceCommands;
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

  constructor(redis: Redis, opts: RedisPresenceOptions) {
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? DEFAULT_PRESENCE_TTL_MS;
    const heartbeatMs = opts.heartbeatMs ?? Math.max(10, Math.round(this.ttlMs / 3));
    const sweepMs = opts.sweepMs ?? Math.max(10, Math.min(5_000, Math.round(this.ttlMs / 4)));
    if (heartbeatMs >= this.ttlMs) throw new Error("presence heartbeat must be shorter than its ttl");
    redis.defineCommand("presenceAdd", { numberOfKeys: 3, lua: ADD });
    redis.defineCommand("presenceRemove", { numberOfKeys: 3, lua: REMOVE });
    redis.defineCommand("presenceSetState", { numberOfKeys: 2, lua: SET_STATE });
    redis.defineCommand("presenceHeartbeat", { numberOfKeys: 1, lua: HEARTBEAT_LUA });
    redis.defineCommand("presenceSweep", { numberOfKeys: 1, lua: SWEEP });
    redis.defineCommand("presenceStatus", { lua: STATUS });
    this.redis = redis as Redis & PresenceCommands;
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
    const reply = this.redis.presenceRemove(userKey(userId), EXPIRY_KEY, seenKey(userId), socketId, member(userId, socketId), now, SEEN_TTL_SECONDS);
    return this.unlessStopped(reply.then((r) => parseTransition(r, userId, "remove").change));
  }

  async setAway(userId: string, socketId: string, away: boolean) {
    const state = away ? "away" : "online";
    const mine = this.local.get(socketId);
    if (mine && !this.stopped) mine.state = state;
    const reply = await this.redis.presenceSetState(userKey(userId), seenKey(userId), socketId, state);
    return parseTransition(reply, userId, "set state");
  }

  async statusOf(userIds: string[]): Promise<Map<string, Presence>> {
    const ids = [...new Set(userIds)];
    const out = new Map<string, Presence>();
    const batches: Promise<void>[] = [];
    for (let i = 0; i < ids.length; i += STATUS_BATCH) {
      const batch = ids.slice(i, i + STATUS_BATCH);
      const keys = batch.flatMap((id) => [userKey(id), seenKey(id)]);
      batches.push(
        this.redis.presenceStatus(keys.length, ...keys).then((reply) => {
          const values = stringArray(reply, "status");
          if (values.length !== keys.length) throw new PresenceReplyError("status", reply);
          batch.forEach((id, j) => out.set(id, { status: parseStatus(values[2 * j], "status"), lastSeenAt: parseSeen(values[2 * j + 1]) }));
        }),
      );
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
    const reply = await this.redis.presenceAdd(userKey(userId), EXPIRY_KEY, seenKey(userId), socketId, member(userId, socketId), now + this.ttlMs, now, state, SEEN_TTL_SECONDS);
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
      const members = [...this.local].map(([socketId, { userId }]) => member(userId, socketId));
      const batches: Promise<unknown>[] = [];
      for (let i = 0; i < members.length; i += HEARTBEAT_BATCH) batches.push(this.redis.presenceHeartbeat(EXPIRY_KEY, expiresAt, ...members.slice(i, i + HEARTBEAT_BATCH)));
      const missing = (await Promise.all(batches)).flatMap((reply) => stringArray(reply, "heartbeat"));
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
    try {
      for (;;) {
        const reply = await this.redis.presenceSweep(EXPIRY_KEY, this.now(), this.ttlMs, SWEEP_BATCH, PREFIX, SEEN_TTL_SECONDS);
        if (!Array.isArray(reply) || typeof reply[0] !== "number") throw new PresenceReplyError("sweep", reply);
        const [removed, ...rest] = reply as [number, ...unknown[]];
        const changes = stringArray(rest, "sweep");
        if (changes.length % 4) throw new PresenceReplyError("sweep", reply);
        for (let i = 0; i < changes.length; i += 4) {
          const [userId, before, after, seen] = changes.slice(i, i + 4) as [string, string, string, string];
          if (!UUID.test(userId)) continue;
          const status = parseStatus(after, "sweep");
          if (parseStatus(before, "sweep") !== status) this.emit({ userId, status, lastSeenAt: parseSeen(seen) });
        }
        if (removed < SWEEP_BATCH || this.stopped) break;
      }
    } catch (err) {
      if (!this.stopped) this.log.warn({ err }, "presence sweep failed");
    } finally {
      this.sweeping = false;
    }
  }
}
