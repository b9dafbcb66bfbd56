import type { CallEntry } from "../domain/ports/call-registry.js";
import { RedisReplyError, stringArray } from "./redis-reply.js";

// The Redis side of the call registry (redis-call-registry.ts says how it works): the key names,
// the Lua scripts that change them atomically, and the checking of their replies.

export const PREFIX = "chat:call:";
export const field = (userId: string, connectionId: string) => `${userId} ${connectionId}`;
export const member = (roomId: string, userId: string, connectionId: string) => `${roomId} ${userId} ${connectionId}`;

export const SWEEP_BATCH = 200;

const LUA_HELPERS = `
local function userOf(f)
  local sp = string.find(f, ' ', 1, true)
  if not sp then return f end
  return string.sub(f, 1, sp - 1)
end
local function hasUser(key, user)
  for _, f in ipairs(redis.call('HKEYS', key)) do
    if userOf(f) == user then return true end
  end
  return false
end
local function userCount(key)
  local seen, n = {}, 0
  for _, f in ipairs(redis.call('HKEYS', key)) do
    local u = userOf(f)
    if not seen[u] then seen[u] = true; n = n + 1 end
  end
  return n
end
`;

// KEYS: room hash, expiry zset. ARGV: field, member, expiresAt, now, max, userId.
// Returns {joined (0/1), changed (0/1), hash as a flat list}.
export const JOIN = `${LUA_HELPERS}
local present = hasUser(KEYS[1], ARGV[6])
if not present and userCount(KEYS[1]) >= tonumber(ARGV[5]) then
  return {0, 0, redis.call('HGETALL', KEYS[1])}
end
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return {1, present and 0 or 1, redis.call('HGETALL', KEYS[1])}
`;

// KEYS: room hash, expiry zset. ARGV: field, member, userId. Returns {changed, hash}.
export const LEAVE = `${LUA_HELPERS}
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return {0, {}} end
if hasUser(KEYS[1], ARGV[3]) then return {0, {}} end
return {1, redis.call('HGETALL', KEYS[1])}
`;

// KEYS: expiry zset. ARGV: now, batch, key prefix.
// Returns {entries removed, then per room whose participants changed: roomId, hash}.
export const SWEEP = `${LUA_HELPERS}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local changed, order = {}, {}
for _, entry in ipairs(due) do
  redis.call('ZREM', KEYS[1], entry)
  local sp = string.find(entry, ' ', 1, true)
  if sp then
    local room = string.sub(entry, 1, sp - 1)
    local f = string.sub(entry, sp + 1)
    local key = ARGV[3] .. 'room:' .. room
    if redis.call('HDEL', key, f) == 1 and not hasUser(key, userOf(f)) and not changed[room] then
      changed[room] = true
      order[#order + 1] = room
    end
  end
end
local out = {#due}
for _, room in ipairs(order) do
  out[#out + 1] = room
  out[#out + 1] = redis.call('HGETALL', ARGV[3] .. 'room:' .. room)
end
return out
`;

type Arg = string | number;
export interface CallCommands {
  callJoin(k1: string, k2: string, ...argv: Arg[]): Promise<unknown>;
  callLeave(k1: string, k2: string, ...argv: Arg[]): Promise<unknown>;
  callHeartbeat(k1: string, ...argv: Arg[]): Promise<unknown>;
  callSweep(k1: string, ...argv: Arg[]): Promise<unknown>;
}

export const replyError = (what: string, reply: unknown) => new RedisReplyError("call registry", what, reply);

/** A room hash as HGETALL returns it (flat field, value list); malformed fields are skipped. */
export function parseEntries(reply: unknown, what: string): CallEntry[] {
  const flat = stringArray(reply, "call registry", what);
  if (flat.length % 2) throw replyError(what, reply);
  const out: CallEntry[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const [userId, connectionId] = flat[i]!.split(" ");
    const joinedAt = Number(flat[i + 1]);
    if (userId && connectionId && Number.isFinite(joinedAt)) out.push({ userId, connectionId, joinedAt });
  }
  return out;
}
