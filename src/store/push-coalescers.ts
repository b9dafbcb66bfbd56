import type { PendingPush, PushCoalescer } from "../domain/ports/push-coalescer.js";
import type { RedisClient } from "./redis-connections.js";

const merge = (a: PendingPush, b: PendingPush): PendingPush => ({ count: a.count + b.count, last: b.last.seq >= a.last.seq ? b.last : a.last });

/** One node: pending pushes in a map. */
export class MemoryPushCoalescer implements PushCoalescer {
  private readonly pending = new Map<string, PendingPush>();

  async add(userId: string, roomId: string, push: PendingPush): Promise<boolean> {
    const key = `${userId} ${roomId}`;
    const before = this.pending.get(key);
    this.pending.set(key, before ? merge(before, push) : push);
    return !before;
  }

  async take(userId: string, roomId: string): Promise<PendingPush | null> {
    const key = `${userId} ${roomId}`;
    const push = this.pending.get(key) ?? null;
    this.pending.delete(key);
    return push;
  }
}

// KEYS: pending hash. ARGV: count, seq, last (JSON), expiry ms. Returns 1 when this add opened it.
const ADD = `
local n = redis.call('HINCRBY', KEYS[1], 'count', ARGV[1])
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
if tonumber(ARGV[2]) >= seq then redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'last', ARGV[3]) end
if n == tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
end
return 0
`;

// KEYS: pending hash. Returns its count and last, and deletes it.
const TAKE = `
local v = redis.call('HMGET', KEYS[1], 'count', 'last')
redis.call('DEL', KEYS[1])
return v
`;

interface CoalescerCommands {
  pushAdd(key: string, ...argv: (string | number)[]): Promise<unknown>;
  pushTake(key: string): Promise<unknown>;
}

/**
 * Across nodes: one hash per (user, room), chat:push:pending:<userId>:<roomId>. The add that
 * creates it owns the window; messages stored through other nodes meanwhile add to it. The key
 * expires well after the window, so a window whose owner crashed does not block the next one.
 */
export class RedisPushCoalescer implements PushCoalescer {
  private readonly redis: RedisClient & CoalescerCommands;
  private readonly expiryMs: number;

  constructor(redis: RedisClient, windowMs: number) {
    redis.defineCommand("pushAdd", { numberOfKeys: 1, lua: ADD });
    redis.defineCommand("pushTake", { numberOfKeys: 1, lua: TAKE });
    this.redis = redis as RedisClient & CoalescerCommands;
    this.expiryMs = 2 * windowMs + 5_000;
  }

  async add(userId: string, roomId: string, push: PendingPush): Promise<boolean> {
    return (await this.redis.pushAdd(key(userId, roomId), push.count, push.last.seq, JSON.stringify(push.last), this.expiryMs)) === 1;
  }

  async take(userId: string, roomId: string): Promise<PendingPush | null> {
    const reply = await this.redis.pushTake(key(userId, roomId));
    if (!Array.isArray(reply) || typeof reply[0] !== "string" || typeof reply[1] !== "string") return null;
    const count = Number(reply[0]);
    let last: unknown;
    try {
      last = JSON.parse(reply[1]);
    } catch {
      return null;
    }
    // Redis holds nothing trusted: the shape is checked before it becomes a notification.
    const l = last as PendingPush["last"];
    if (!Number.isInteger(count) || count < 1 || typeof l?.seq !== "number" || typeof l.senderId !== "string" || typeof l.type !== "string" || typeof l.text !== "string") return null;
    return { count, last: { seq: l.seq, senderId: l.senderId, type: l.type, text: l.text } };
  }
}

const key = (userId: string, roomId: string) => `chat:push:pending:${userId}:${roomId}`;
