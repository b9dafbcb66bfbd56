import type { PresenceStatus } from "../domain/ports/presence.js";
import type { PresenceChange } from "../domain/ports/presence-tracker.js";
import type { RedisClient, RedisMode } from "./redis-connections.js";
import { HEARTBEAT_LUA } from "./redis-expiry-heartbeat.js";
import { KeyBuckets } from "./redis-key-buckets.js";
import { RedisReplyError, stringArray } from "./redis-reply.js";

// The Redis side of presence (redis-presence.ts says how it works): the key layout, the Lua
// scripts that change it atomically, and the checking of their replies.

export const PREFIX = "chat:presence:";
export const member = (userId: string, socketId: string) => `${userId} ${socketId}`;

/**
 * The key layout: on one Redis, `chat:presence:user:<id>`, `chat:presence:seen:<id>` and one
 * `chat:presence:expiry`; on a Redis Cluster the same under a bucket's hash tag
 * (`chat:presence:{presence-3}:user:<id>`), one expiry set per bucket (redis-key-buckets.ts).
 */
export class PresenceKeys {
  readonly buckets: KeyBuckets;

  constructor(mode: RedisMode = "single") {
    this.buckets = new KeyBuckets(PREFIX, "presence", mode);
  }

  userKey(userId: string) {
    return `${this.buckets.prefixOf(userId)}user:${userId}`;
  }

  seenKey(userId: string) {
    return `${this.buckets.prefixOf(userId)}seen:${userId}`;
  }

  /** The expiry set of a bucket. */
  expiryKey(bucket: number) {
    return `${this.buckets.prefix(bucket)}expiry`;
  }

  /** The expiry set holding a user's sockets. */
  expiryOf(userId: string) {
    return this.expiryKey(this.buckets.of(userId));
  }
}

export const SEEN_TTL_SECONDS = 365 * 86_400;

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

// KEYS: expiry zset. ARGV: now, ttl, batch size, key prefix, seen ttl (s). The users' keys are
// derived from the prefix: on a Redis Cluster they share the expiry set's slot (its bucket's tag).
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
export interface PresenceCommands {
  presenceAdd(k1: string, k2: string, k3: string, ...argv: Arg[]): Promise<unknown>;
  presenceRemove(k1: string, k2: string, k3: string, ...argv: Arg[]): Promise<unknown>;
  presenceSetState(k1: string, k2: string, ...argv: Arg[]): Promise<unknown>;
  presenceHeartbeat(k1: string, ...argv: Arg[]): Promise<unknown>;
  presenceSweep(k1: string, ...argv: Arg[]): Promise<unknown>;
  presenceStatus(numKeys: number, ...keys: string[]): Promise<unknown>;
}

/** Registers the presence scripts on `redis` (ioredis sends each by its SHA after the first call). */
export function withPresenceCommands(redis: RedisClient): RedisClient & PresenceCommands {
  redis.defineCommand("presenceAdd", { numberOfKeys: 3, lua: ADD });
  redis.defineCommand("presenceRemove", { numberOfKeys: 3, lua: REMOVE });
  redis.defineCommand("presenceSetState", { numberOfKeys: 2, lua: SET_STATE });
  redis.defineCommand("presenceHeartbeat", { numberOfKeys: 1, lua: HEARTBEAT_LUA });
  redis.defineCommand("presenceSweep", { numberOfKeys: 1, lua: SWEEP });
  redis.defineCommand("presenceStatus", { lua: STATUS });
  return redis as RedisClient & PresenceCommands;
}

// ---- validation of replies: our scripts wrote them, but nothing read from Redis is trusted ----

export const UUID = /^[0-9a-f-]{36}$/i;

export const presenceReplyError = (what: string, reply: unknown) => new RedisReplyError("presence", what, reply);

export function parseStatus(value: unknown, what: string): PresenceStatus {
  if (value === "online" || value === "away" || value === "offline") return value;
  throw presenceReplyError(what, value);
}

/** Epoch ms as a decimal string; anything else (missing, corrupt) reads as never seen. */
export function parseSeen(value: unknown): string | null {
  if (typeof value !== "string" || !/^\d{1,15}$/.test(value)) return null;
  return new Date(Number(value)).toISOString();
}

export const presenceStrings = (reply: unknown, what: string): string[] => stringArray(reply, "presence", what);

export function parseTransition(reply: unknown, userId: string, what: string): { status: PresenceStatus; change: PresenceChange | null } {
  const [before, after, seen] = presenceStrings(reply, what);
  const status = parseStatus(after, what);
  return { status, change: parseStatus(before, what) === status ? null : { userId, status, lastSeenAt: parseSeen(seen) } };
}
