/**
 * The heartbeat shared by the Redis registries whose entries expire when their node dies
 * (presence sockets, call participants): one expiry sorted set, refreshed by the live node.
 */

// Members per script call: bounds how long one heartbeat holds Redis.
export const HEARTBEAT_BATCH = 500;

// KEYS: expiry zset. ARGV: new expiry, members... Refreshes the members still registered and
// returns the missing ones (swept during a stall, or lost with a Redis restart) so the node can
// register them again.
export const HEARTBEAT_LUA = `
local missing = {}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[i])
  else
    missing[#missing + 1] = ARGV[i]
  end
end
return missing
`;
