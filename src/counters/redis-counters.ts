/**
 * Hot counters in Redis, shared by every instance. Each method is one Lua script or one command, so it
 * is atomic across processes and costs one round trip; with auto-pipelining, all calls made in the same
 * tick travel in one write and come back in one read.
 *
 * The caller's clock decides window starts and slot expiry (both are passed in), so a fake clock works
 * here as in memory. Redis's own clock is used only to let keys expire, and only with relative TTLs:
 * an absolute PEXPIREAT from a fake clock set in the past would delete a counter the moment it is made.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Counters, RateResult, RateWindow, SlotResult } from '../core/ports.js';

export interface RedisCountersOptions {
  /** Where Redis is, when no `client` is given. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * A connection to share. Create it with `enableAutoPipelining: true` so concurrent calls batch.
   * `close()` leaves a shared client open: its owner closes it.
   */
  client?: Redis;
  /** Prepended to every key, so several deployments or test runs share one Redis. Default `tollgate:`. */
  prefix?: string;
}

/**
 * How long a key outlives what it counts. A window's counter is made by its first hit, at or after the
 * window's start, so it lasts at least until the window's end plus this margin, which also absorbs
 * clock skew between instances.
 */
const EXPIRY_MARGIN_MS = 10_000;

// KEYS: one counter per window. ARGV: each window's limit, then each counter's TTL (ms).
// Reply: allowed (1/0), index of the first full window (-1), then the count of every window.
const HIT_RATE = `
local n = #KEYS
local values = redis.call('MGET', unpack(KEYS))
local reply = {1, -1}
for i = 1, n do
  local count = tonumber(values[i]) or 0
  reply[i + 2] = count
  if reply[1] == 1 and count >= tonumber(ARGV[i]) then
    reply[1] = 0
    reply[2] = i - 1
  end
end
if reply[1] == 1 then
  for i = 1, n do
    local count = redis.call('INCR', KEYS[i])
    reply[i + 2] = count
    if count == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[n + i]) end
  end
end
return reply
`;

// KEYS: one counter per window. A missing or zero counter stays as it is.
const UNDO_RATE = `
for i = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[i]))
  if count and count > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`;

// KEYS[1]: the key's leases, token -> expiresAt. ARGV: now, expiresAt, limit, token, TTL (ms).
// Reply: acquired (1/0), slots in use after the call.
const ACQUIRE_SLOT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local inUse = redis.call('ZCARD', KEYS[1])
if inUse >= tonumber(ARGV[3]) then return {0, inUse} end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
local ttl = tonumber(ARGV[5])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return {1, inUse + 1}
`;

/** The scripts as ioredis commands: EVALSHA, loaded on first use, and auto-pipelined like any command. */
interface CounterScripts {
  tollgateHitRate(numberOfKeys: number, ...keysThenArgs: Array<string | number>): Promise<number[]>;
  tollgateUndoRate(numberOfKeys: number, ...keys: string[]): Promise<number>;
  tollgateAcquireSlot(
    key: string,
    now: number,
    expiresAt: number,
    limit: number,
    token: string,
    ttlMs: number,
  ): Promise<[number, number]>;
}

// Tokens must be unique across processes: a random part per process, then a counter.
const processPart = randomBytes(8).toString('hex');
let tokenSequence = 0;

/**
 * Creates counters on Redis.
 *
 * @example
 * const counters = createRedisCounters({ url: process.env.REDIS_URL });
 * const slot = await counters.acquireSlot('concurrency:cus_1', 10, clock.now(), clock.now() + 30_000);
 * if (slot.acquired) try { await handle() } finally { await counters.releaseSlot('concurrency:cus_1', slot.token!) }
 */
export function createRedisCounters(options: RedisCountersOptions = {}): Counters {
  const owned = options.client === undefined;
  const client =
    options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
  const prefix = options.prefix ?? 'tollgate:';

  client.defineCommand('tollgateHitRate', { lua: HIT_RATE });
  client.defineCommand('tollgateUndoRate', { lua: UNDO_RATE });
  client.defineCommand('tollgateAcquireSlot', { lua: ACQUIRE_SLOT, numberOfKeys: 1 });
  const scripts = client as Redis & CounterScripts;

  function windowKey(window: RateWindow): string {
    return `${prefix}window:${window.key}:${window.windowStart}`;
  }

  function slotsKey(key: string): string {
    return `${prefix}slots:${key}`;
  }

  return {
    async hitRate(windows: readonly RateWindow[]): Promise<RateResult> {
      const n = windows.length;
      if (n === 0) return { allowed: true, counts: [] };
      const args = new Array<string | number>(n * 3);
      for (let i = 0; i < n; i++) {
        const window = windows[i]!;
        args[i] = windowKey(window);
        args[n + i] = window.limit;
        args[2 * n + i] = window.windowMs + EXPIRY_MARGIN_MS;
      }
      const reply = await scripts.tollgateHitRate(n, ...args);
      const counts = reply.slice(2);
      const deniedIndex = reply[1]!;
      return reply[0] === 1 ? { allowed: true, counts } : { allowed: false, counts, deniedIndex };
    },

    async peekRate(windows: readonly RateWindow[]): Promise<number[]> {
      if (windows.length === 0) return [];
      const values = await client.mget(windows.map(windowKey));
      return values.map((value) => (value === null ? 0 : Number(value)));
    },

    async undoRate(windows: readonly RateWindow[]): Promise<void> {
      if (windows.length === 0) return;
      await scripts.tollgateUndoRate(windows.length, ...windows.map(windowKey));
    },

    async acquireSlot(key: string, limit: number, now: number, expiresAt: number): Promise<SlotResult> {
      const token = `${processPart}${(++tokenSequence).toString(36)}`;
      // The set lives as long as its longest lease (plus the margin), measured from now on either clock.
      const ttlMs = Math.max(0, Math.ceil(expiresAt - now)) + EXPIRY_MARGIN_MS;
      const [acquired, inUse] = await scripts.tollgateAcquireSlot(
        slotsKey(key),
        now,
        expiresAt,
        limit,
        token,
        ttlMs,
      );
      return acquired === 1 ? { acquired: true, inUse, token } : { acquired: false, inUse };
    },

    async releaseSlot(key: string, token: string): Promise<void> {
      await client.zrem(slotsKey(key), token);
    },

    async close(): Promise<void> {
      if (owned) await client.quit();
    },
  };
}
