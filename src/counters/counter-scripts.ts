/**
 * The Lua scripts behind the Redis counters. A script runs atomically in Redis, so a check and the
 * write that depends on it cannot be split by another client. The batched scripts take the calls of
 * one tick and run them one after the other, each with the same outcome it would have had alone.
 */

/**
 * Counts hits, each call all-or-none across its windows.
 * KEYS: the window counters of every call, call after call.
 * ARGV: per call, its number of windows n, then n pairs (limit, TTL in ms).
 * Reply: per call, allowed (1/0), index of its first full window (-1), then the count of each window.
 */
export const HIT_RATE_BATCH = `
local reply = {}
local r, k, a = 0, 0, 1
while a <= #ARGV do
  local n = tonumber(ARGV[a])
  local allowed, denied = 1, -1
  reply[r + 1] = 1
  reply[r + 2] = -1
  for i = 1, n do
    local count = tonumber(redis.call('GET', KEYS[k + i])) or 0
    reply[r + 2 + i] = count
    if allowed == 1 and count >= tonumber(ARGV[a + 2 * i - 1]) then
      allowed, denied = 0, i - 1
    end
  end
  if allowed == 1 then
    for i = 1, n do
      local count = redis.call('INCR', KEYS[k + i])
      reply[r + 2 + i] = count
      if count == 1 then redis.call('PEXPIRE', KEYS[k + i], ARGV[a + 2 * i]) end
    end
  else
    reply[r + 1] = 0
    reply[r + 2] = denied
  end
  r, k, a = r + 2 + n, k + n, a + 1 + 2 * n
end
return reply
`;

/** Takes one hit back from each counter that is above zero. KEYS: the window counters. */
export const UNDO_RATE = `
for i = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[i]))
  if count and count > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`;

/**
 * Grants leases. The sorted set of a key holds token -> expiresAt; expired leases are dropped first.
 * KEYS: the lease set of each call.
 * ARGV: per call, now, expiresAt, limit, token, TTL of the set in ms.
 * Reply: per call, acquired (1/0), then the slots in use after it.
 */
export const ACQUIRE_SLOT_BATCH = `
local reply = {}
for i = 1, #KEYS do
  local key, a = KEYS[i], 5 * (i - 1)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[a + 1])
  local inUse = redis.call('ZCARD', key)
  if inUse < tonumber(ARGV[a + 3]) then
    redis.call('ZADD', key, ARGV[a + 2], ARGV[a + 4])
    local ttl = tonumber(ARGV[a + 5])
    if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
    reply[2 * i - 1] = 1
    reply[2 * i] = inUse + 1
  else
    reply[2 * i - 1] = 0
    reply[2 * i] = inUse
  end
end
return reply
`;

/** Ends leases; an unknown token changes nothing. KEYS: lease sets. ARGV: the token for each. */
export const RELEASE_SLOT_BATCH = `
for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[i]) end
return 0
`;
