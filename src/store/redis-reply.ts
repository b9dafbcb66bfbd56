// Replies of our Lua scripts, checked as they are read: our scripts wrote them, but nothing read
// from Redis is trusted (a restarted, flushed or foreign Redis answers other shapes). One error
// for every registry that reads them (presence, calls), naming which and what it asked.

export class RedisReplyError extends Error {
  constructor(registry: string, what: string, reply: unknown) {
    super(`unexpected ${registry} reply from Redis (${what}): ${JSON.stringify(reply)?.slice(0, 200)}`);
  }
}

/** The reply as a list of strings, or a RedisReplyError. */
export function stringArray(reply: unknown, registry: string, what: string): string[] {
  if (!Array.isArray(reply) || !reply.every((v) => typeof v === "string")) throw new RedisReplyError(registry, what, reply);
  return reply;
}
