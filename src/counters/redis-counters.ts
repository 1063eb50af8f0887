/**
 * Hot counters in Redis, shared by every instance. Each method is one Lua script or one command, so it
 * is atomic across processes and costs one round trip. The hot-path methods (hit, acquire, release)
 * made in the same tick travel together as one script call (see tick-batcher.ts); the rest rely on
 * ioredis's auto-pipelining to share the round trip.
 *
 * The caller's clock decides window starts and slot expiry (both are passed in), so a fake clock works
 * here as in memory. Redis's own clock is used only to let keys expire, and only with relative TTLs:
 * an absolute PEXPIREAT from a fake clock set in the past would delete a counter the moment it is made.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { requirePeer } from '../config/optional-peer.js';
import type { Counters, RateResult, RateWindow, SlotResult } from '../core/ports.js';
import { checkSlotRequest, checkWindows } from './counter-input.js';
import { ACQUIRE_SLOT_BATCH, HIT_RATE_BATCH, RELEASE_SLOT_BATCH, UNDO_RATE } from './counter-scripts.js';
import { createTickBatcher } from './tick-batcher.js';

/**
 * The part of an ioredis client the counters use, declared here (as Kysely declares the drivers it
 * needs) so an app's type check needs no ioredis types unless it uses Redis. An ioredis `Redis` fits.
 */
export interface RedisClient {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  mget(keys: string[]): Promise<Array<string | null>>;
  quit(): Promise<unknown>;
}

export interface RedisCountersOptions {
  /** Where Redis is, when no `client` is given. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * A connection to share. Create it with `enableAutoPipelining: true` so concurrent calls batch.
   * `close()` leaves a shared client open: its owner closes it.
   */
  client?: RedisClient;
  /** Prepended to every key, so several deployments or test runs share one Redis. Default `tollgate:`. */
  prefix?: string;
  /** Longest a command may wait for Redis before it fails (own connection only); default 1 s. */
  commandTimeoutMs?: number;
}

/**
 * How long a key outlives what it counts. A window's counter is made by its first hit, at or after the
 * window's start, so it lasts at least until the window's end plus this margin, which also absorbs
 * clock skew between instances.
 */
const EXPIRY_MARGIN_MS = 10_000;

/** Most calls per batched script: a script holds Redis while it runs, a few µs per call. */
const MAX_BATCH = 1_000;

/** The scripts as ioredis commands: EVALSHA, loaded on first use, and auto-pipelined like any command. */
interface CounterScripts {
  tollgateHitRate(...keysThenArgs: Array<string | number>): Promise<number[]>;
  tollgateUndoRate(...keys: Array<string | number>): Promise<number>;
  tollgateAcquireSlot(...keysThenArgs: Array<string | number>): Promise<number[]>;
  tollgateReleaseSlot(...keysThenArgs: Array<string | number>): Promise<number>;
}

interface SlotRequest {
  key: string;
  limit: number;
  now: number;
  expiresAt: number;
  token: string;
}

// Tokens must be unique across processes: a random part per process, then a counter.
const processPart = randomBytes(8).toString('hex');
let tokenSequence = 0;

function connect(url: string, commandTimeoutMs: number): Redis {
  const ioredis = requirePeer<typeof import('ioredis')>('ioredis', 'Redis counters (REDIS_URL)');
  return new ioredis.Redis(url, {
    enableAutoPipelining: true,
    // Fail fast when Redis is gone, so the caller's fallback (fallback-counters.ts) takes over
    // within a reconnect attempt rather than after ioredis's 20, and a Redis that hangs cannot
    // hold a request past the command timeout.
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
  });
}

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
  const own = owned
    ? connect(options.url ?? 'redis://127.0.0.1:6379', options.commandTimeoutMs ?? 1000)
    : null;
  // Connection errors reach the callers as rejected commands; the event alone is not worth a crash
  // or a line per reconnect attempt.
  own?.on('error', () => {});
  const client = options.client ?? (own as Redis);
  const prefix = options.prefix ?? 'tollgate:';

  client.defineCommand('tollgateHitRate', { lua: HIT_RATE_BATCH });
  client.defineCommand('tollgateUndoRate', { lua: UNDO_RATE });
  client.defineCommand('tollgateAcquireSlot', { lua: ACQUIRE_SLOT_BATCH });
  client.defineCommand('tollgateReleaseSlot', { lua: RELEASE_SLOT_BATCH });
  const scripts = client as RedisClient & CounterScripts;

  function windowKey(window: RateWindow): string {
    return `${prefix}window:${window.key}:${window.windowStart}`;
  }

  function slotsKey(key: string): string {
    return `${prefix}slots:${key}`;
  }

  // The hot-path calls (hit, acquire, release) of one tick travel as one script call each.
  const hits = createTickBatcher(async (calls: readonly (readonly RateWindow[])[]) => {
    const keys: string[] = [];
    const argv: number[] = [];
    for (const windows of calls) {
      argv.push(windows.length);
      for (const window of windows) {
        keys.push(windowKey(window));
        argv.push(window.limit, Math.ceil(window.windowMs) + EXPIRY_MARGIN_MS);
      }
    }
    const reply = await scripts.tollgateHitRate(keys.length, ...keys, ...argv);
    const results = new Array<RateResult>(calls.length);
    let r = 0;
    for (let i = 0; i < calls.length; i++) {
      const n = calls[i]!.length;
      const counts = reply.slice(r + 2, r + 2 + n);
      results[i] =
        reply[r] === 1 ? { allowed: true, counts } : { allowed: false, counts, deniedIndex: reply[r + 1]! };
      r += 2 + n;
    }
    return results;
  }, MAX_BATCH);

  const acquires = createTickBatcher(async (calls: readonly SlotRequest[]) => {
    const args = new Array<string | number>(1 + calls.length * 6);
    args[0] = calls.length;
    for (let i = 0; i < calls.length; i++) {
      const { key, limit, now, expiresAt, token } = calls[i]!;
      args[1 + i] = slotsKey(key);
      const a = 1 + calls.length + 5 * i;
      args[a] = now;
      args[a + 1] = expiresAt;
      args[a + 2] = limit;
      args[a + 3] = token;
      // The set lives as long as its longest lease (plus the margin), measured from now on either clock.
      args[a + 4] = Math.max(0, Math.ceil(expiresAt - now)) + EXPIRY_MARGIN_MS;
    }
    const reply = await scripts.tollgateAcquireSlot(...args);
    return calls.map((call, i): SlotResult => {
      const inUse = reply[2 * i + 1]!;
      return reply[2 * i] === 1 ? { acquired: true, inUse, token: call.token } : { acquired: false, inUse };
    });
  }, MAX_BATCH);

  const releases = createTickBatcher(async (calls: readonly { key: string; token: string }[]) => {
    const args = new Array<string | number>(1 + calls.length * 2);
    args[0] = calls.length;
    for (let i = 0; i < calls.length; i++) {
      args[1 + i] = slotsKey(calls[i]!.key);
      args[1 + calls.length + i] = calls[i]!.token;
    }
    await scripts.tollgateReleaseSlot(...args);
    return calls.map(() => undefined);
  }, MAX_BATCH);

  return {
    hitRate(windows: readonly RateWindow[]): Promise<RateResult> {
      const invalid = checkWindows(windows);
      if (invalid !== undefined) return Promise.reject(invalid);
      if (windows.length === 0) return Promise.resolve({ allowed: true, counts: [] });
      return hits.add(windows);
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

    acquireSlot(key: string, limit: number, now: number, expiresAt: number): Promise<SlotResult> {
      const invalid = checkSlotRequest(limit, now, expiresAt);
      if (invalid !== undefined) return Promise.reject(invalid);
      const token = `${processPart}${(++tokenSequence).toString(36)}`;
      return acquires.add({ key, limit, now, expiresAt, token });
    },

    releaseSlot(key: string, token: string): Promise<void> {
      return releases.add({ key, token });
    },

    async close(): Promise<void> {
      // Calls queued for the end of this tick go out before the connection closes.
      hits.flush();
      acquires.flush();
      releases.flush();
      if (owned) await client.quit();
    },
  };
}
