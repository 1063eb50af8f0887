/**
 * Redis going away and coming back under two engine instances (each with its own Redis connection),
 * against a redis-server process of this test's own (the shared one stays up). With the default
 * `open` setting requests keep being served, counted on each instance alone, so a per-minute limit
 * holds per instance; with `closed` they are refused with 503 `limits_unavailable`. No call waits on
 * the dead Redis for long, and once it is back the limit is exact across both instances again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type AddressInfo, connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/support/test-catalog.js';
import { ManualClock } from '../core/clock.js';
import { TollgateError } from '../core/errors.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { type CountersFailureMode, createFallbackCounters } from './fallback-counters.js';
import { createRedisCounters } from './redis-counters.js';

let PORT = 0;

/** A port nothing listens on now: bound by the OS, then released for redis-server to take. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
const MINUTE = 60_000;

function startRedis(): ChildProcess {
  return spawn('redis-server', ['--port', String(PORT), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
}

async function untilListening(open: boolean): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const listening = await new Promise<boolean>((resolve) => {
      const socket = connect(PORT, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (listening === open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on ${PORT} did not ${open ? 'start' : 'stop'}`);
}

describe.each<[CountersFailureMode]>([['open'], ['closed']])(
  'rate limits when Redis goes away (%s)',
  (mode) => {
    let redis: ChildProcess;
    const clock = new ManualClock(Date.UTC(2026, 0, 15, 12, 0, 5));
    const store = createSqliteStore({ filename: ':memory:' });
    let instances: Tollgate[];

    beforeAll(async () => {
      PORT = await freePort();
      redis = startRedis();
      await untilListening(true);
      await store.migrate();
      const prefix = `tollgate-failure-${mode}-${process.pid}:`;
      instances = [0, 1].map(() =>
        createTollgate({
          catalog: testCatalog(),
          store,
          clock,
          counters: createFallbackCounters({
            primary: createRedisCounters({ url: `redis://127.0.0.1:${PORT}`, prefix, commandTimeoutMs: 500 }),
            mode,
            retryAfterMs: 200,
          }),
        }),
      );
    }, 20_000);

    afterAll(async () => {
      for (const tollgate of instances ?? []) await tollgate.close();
      await store.close();
      redis?.kill('SIGKILL');
    });

    /** 30 requests from one customer, alternating between the instances, all at once. */
    async function burst(customerId: string) {
      const started = performance.now();
      const outcomes = await Promise.all(
        Array.from({ length: 30 }, async (_, index) => {
          const instance = instances[index % 2] as Tollgate;
          try {
            const decision = await instance.consume(customerId, { operation: 'search' });
            return decision.allowed ? 'allowed' : (decision.reason ?? 'denied');
          } catch (error) {
            if (error instanceof TollgateError) return error.code;
            throw error;
          }
        }),
      );
      const count = (outcome: string) => outcomes.filter((candidate) => candidate === outcome).length;
      return { count, ms: performance.now() - started };
    }

    it(`holds the per-minute limit exactly across instances, then ${mode === 'open' ? 'per instance' : 'refuses'} while Redis is down, then exactly again`, async () => {
      const customer = await instances[0]!.createCustomer({});
      // The test catalog's free plan: 10 requests a minute.
      const limit = 10;

      const healthy = await burst(customer.id);
      expect(healthy.count('allowed')).toBe(limit);
      expect(healthy.count('rate_limited')).toBe(30 - limit);

      redis.kill('SIGKILL');
      await untilListening(false);
      clock.advance(MINUTE);
      const down = await burst(customer.id);
      if (mode === 'open') {
        // Each instance counts alone: the limit once per instance, never unlimited.
        expect(down.count('allowed')).toBe(2 * limit);
        expect(down.count('rate_limited')).toBe(30 - 2 * limit);
      } else {
        expect(down.count('limits_unavailable')).toBe(30);
      }
      // The first call per instance waits for a failed reconnect; none waits for the command timeout
      // twice, and the breaker answers the rest at once.
      expect(down.ms).toBeLessThan(2000);

      redis = startRedis();
      await untilListening(true);
      // Past the breaker's pause, and a fresh minute: the shared count is used again.
      await new Promise((resolve) => setTimeout(resolve, 400));
      clock.advance(MINUTE);
      let recovered = await burst(customer.id);
      for (let attempt = 0; attempt < 20 && recovered.count('allowed') !== limit; attempt += 1) {
        // ioredis reconnects with a growing backoff: give it a moment and a fresh minute.
        await new Promise((resolve) => setTimeout(resolve, 250));
        clock.advance(MINUTE);
        recovered = await burst(customer.id);
      }
      expect(recovered.count('allowed')).toBe(limit);
      expect(recovered.count('rate_limited')).toBe(30 - limit);
    }, 30_000);
  },
);
