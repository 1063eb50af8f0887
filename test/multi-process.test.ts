/**
 * Several OS processes against one store: admitted usage stays exact across instances on PostgreSQL
 * (credits) and Redis (rate and concurrency), acknowledged usage survives SIGKILL on both databases, and
 * the hold of a process killed between reserve and settle ends at its TTL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../src/core/catalog/catalog.js';
import { ManualClock } from '../src/core/clock.js';
import type { Customer, Store } from '../src/core/ports.js';
import { createTollgate } from '../src/core/tollgate.js';
import { createMemoryCounters } from '../src/counters/memory-counters.js';
import { backends, openPostgres, openRedisCounters, redisUrl } from './support/backends.js';
import { meteredTestCatalog, testCatalog } from './support/test-catalog.js';

const workerPath = new URL('./support/engine-worker.ts', import.meta.url).pathname;

function startWorker(args: object): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', workerPath, JSON.stringify(args)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

interface BurstResult {
  admitted: number;
  rateDenied: number;
  slotDenied: number;
}

/**
 * Runs burst workers together: each connects and warms up, says "ready", and all are told "go" at
 * once, so their requests really contend instead of running one process after another.
 */
async function runWorkers(argsList: object[]): Promise<BurstResult[]> {
  const children = argsList.map(startWorker);
  const outputs = children.map(() => ({ out: '', err: '' }));
  const exits = children.map((child) => once(child, 'exit') as Promise<[number | null]>);
  const ready = children.map(
    (child, index) =>
      new Promise<void>((resolve, reject) => {
        const output = outputs[index]!;
        child.stdout?.on('data', (chunk) => {
          output.out += chunk;
          if (output.out.includes('ready\n')) resolve();
        });
        child.stderr?.on('data', (chunk) => (output.err += chunk));
        void exits[index]!.then(([code]) =>
          reject(new Error(`worker exited (${code}) before ready: ${output.err}`)),
        );
      }),
  );
  await Promise.all(ready);
  for (const child of children) child.stdin?.write('go\n');
  return Promise.all(
    children.map(async (_child, index) => {
      const [code] = await exits[index]!;
      const output = outputs[index]!;
      if (code !== 0) throw new Error(`worker failed (${code}): ${output.err}`);
      return JSON.parse(output.out.trim().split('\n').pop() ?? '{}') as BurstResult;
    }),
  );
}

/** Customers made by a throwaway engine on the backend's store, before the workers open their own. */
async function createCustomers<Plans extends readonly string[]>(
  backend: { store: Store },
  catalog: Catalog,
  plans: readonly [...Plans],
): Promise<{ [Index in keyof Plans]: Customer }> {
  const setup = createTollgate({ catalog, store: backend.store, counters: createMemoryCounters() });
  try {
    const customers: Customer[] = [];
    for (const plan of plans) customers.push(await setup.createCustomer({ plan }));
    return customers as { [Index in keyof Plans]: Customer };
  } finally {
    await setup.close();
  }
}

describe('several processes', () => {
  it('admit exactly 100 credits in total from 4 processes on PostgreSQL', async () => {
    const backend = await openPostgres();
    try {
      const [customer] = await createCustomers(backend, testCatalog(), ['bulk']);
      const results = await runWorkers(
        [0, 1, 2, 3].map(() => ({
          mode: 'burst',
          store: backend.location,
          customerId: customer.id,
          count: 250,
          operation: 'capture',
        })),
      );
      expect(results.reduce((sum, r) => sum + r.admitted, 0)).toBe(100);
      // Every process got a share: the processes really raced for the same row.
      expect(results.filter((r) => r.admitted > 0).length).toBeGreaterThan(1);
      const events = await backend.store.listUsageEvents(customer.id, 0, Number.MAX_SAFE_INTEGER, 10_000);
      expect(events).toHaveLength(100);
    } finally {
      await backend.cleanup();
    }
  });

  it('hold exactly 100 credits and an operation day limit from 4 processes reserving on PostgreSQL', async () => {
    const backend = await openPostgres();
    try {
      const [bulk, metered] = await createCustomers(backend, meteredTestCatalog(), ['bulk', 'metered']);
      const burst = (customerId: string) => ({
        mode: 'burst',
        store: backend.location,
        customerId,
        count: 250,
        operation: 'capture',
        catalog: 'metered',
        reserve: true,
      });
      const results = await runWorkers([
        ...[0, 1, 2, 3].map(() => burst(bulk.id)),
        ...[0, 1, 2, 3].map(() => burst(metered.id)),
      ]);
      const admitted = (from: number) =>
        results.slice(from, from + 4).reduce((sum, r) => sum + r.admitted, 0);
      expect(admitted(0)).toBe(100); // the bulk plan's 100 credits, 1 per capture
      expect(admitted(4)).toBe(100); // the metered plan's 100 captures a day
    } finally {
      await backend.cleanup();
    }
  });

  it('admit exactly an operation day limit from 4 processes on PostgreSQL', async () => {
    const backend = await openPostgres();
    try {
      const [customer] = await createCustomers(backend, meteredTestCatalog(), ['metered']);
      const results = await runWorkers(
        [0, 1, 2, 3].map(() => ({
          mode: 'burst',
          store: backend.location,
          customerId: customer.id,
          count: 250,
          operation: 'capture',
          catalog: 'metered',
        })),
      );
      // The workers run on the wall clock: should the burst straddle midnight UTC, each day is checked alone.
      const admitted = results.reduce((sum, r) => sum + r.admitted, 0);
      const events = await backend.store.listUsageEvents(customer.id, 0, Number.MAX_SAFE_INTEGER, 10_000);
      expect(events).toHaveLength(admitted);
      const byDay = new Map<number, number>();
      for (const event of events) {
        const day = event.occurredAt - (event.occurredAt % 86_400_000);
        byDay.set(day, (byDay.get(day) ?? 0) + 1);
      }
      if (byDay.size === 1) expect(admitted).toBe(100);
      expect(results.filter((r) => r.admitted > 0).length).toBeGreaterThan(1);
      const days = [...byDay.keys()];
      const counted = await backend.store.getWindowUsage(
        customer.id,
        days.map((start) => ({ operation: 'capture', window: 'day' as const, start })),
      );
      days.forEach((day, index) => {
        expect(counted[index]?.used).toBe(byDay.get(day));
        expect(byDay.get(day)).toBeLessThanOrEqual(100);
      });
    } finally {
      await backend.cleanup();
    }
  });

  it('keep rate and concurrency limits exact across 4 processes sharing Redis', async () => {
    const backend = await openPostgres();
    const redis = await openRedisCounters();
    try {
      const setup = createTollgate({
        catalog: testCatalog(),
        store: backend.store,
        counters: redis.counters,
      });
      const rated = await setup.createCustomer({ plan: 'free' });
      const slotted = await setup.createCustomer({ plan: 'pro' });
      await setup.close();
      const rate = await runWorkers(
        [0, 1, 2, 3].map(() => ({
          mode: 'burst',
          store: backend.location,
          redis: { url: redisUrl, prefix: redis.prefix },
          customerId: rated.id,
          count: 50,
          operation: 'search',
        })),
      );
      // free: 10 requests per minute.
      expect(rate.reduce((sum, r) => sum + r.admitted, 0)).toBe(10);
      const slots = await runWorkers(
        [0, 1, 2, 3].map(() => ({
          mode: 'burst',
          store: backend.location,
          redis: { url: redisUrl, prefix: redis.prefix },
          customerId: slotted.id,
          count: 50,
          operation: 'search',
          holdSlot: true,
        })),
      );
      // pro: 10 concurrent requests; the workers never release their slots.
      expect(slots.reduce((sum, r) => sum + r.admitted, 0)).toBe(10);
    } finally {
      await redis.cleanup();
      await backend.cleanup();
    }
  });

  it.each(backends)(
    'leak no reservation of a process killed between reserve and settle, once its TTL passes (%s)',
    async (_name, open) => {
      const backend = await open();
      const start = Date.UTC(2026, 4, 12, 9);
      const clock = new ManualClock(start);
      const tollgate = createTollgate({
        catalog: testCatalog(),
        store: backend.store,
        counters: createMemoryCounters(),
        clock,
      });
      try {
        const customer = await tollgate.createCustomer({ plan: 'bulk' });
        // 'capture' costs 1 credit: the reservation holds all of the bulk plan's 100.
        const child = startWorker({
          mode: 'reserve',
          store: backend.location,
          customerId: customer.id,
          count: 100,
          operation: 'capture',
          now: start,
        });
        let output = '';
        await new Promise<void>((resolve, reject) => {
          child.stdout?.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            if (output.includes('\n')) resolve();
          });
          child.once('exit', (code) => reject(new Error(`worker exited (${code}) before reserving`)));
        });
        expect(output).toMatch(/^reserved rsv_/);
        child.kill('SIGKILL');
        await once(child, 'exit');

        clock.set(start + 59_000);
        expect((await tollgate.consume(customer.id, { operation: 'capture' })).allowed).toBe(false);
        clock.set(start + 60_000);
        expect((await tollgate.consume(customer.id, { operation: 'capture', quantity: 100 })).allowed).toBe(
          true,
        );
      } finally {
        await tollgate.close();
        await backend.cleanup();
      }
    },
  );

  it.each(backends)(
    'lose no acknowledged record on SIGKILL and count none twice on retry (%s)',
    async (_name, open) => {
      const backend = await open();
      try {
        const setup = createTollgate({
          catalog: testCatalog(),
          store: backend.store,
          counters: createMemoryCounters(),
        });
        const customer = await setup.createCustomer({ plan: 'bulk' });
        await setup.updateCustomer(customer.id, { plan: 'bulk' });
        await setup.close();
        // 'search' costs 0.1 credit: 1,000 records fit the bulk plan's 100 credits.
        const child = startWorker({
          mode: 'stream',
          store: backend.location,
          customerId: customer.id,
          count: 0,
          operation: 'search',
        });
        const acked = new Set<string>();
        let buffer = '';
        await new Promise<void>((resolve) => {
          child.stdout?.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split('\n');
            buffer = lines.pop() ?? '';
            for (const line of lines) if (line.startsWith('ack ')) acked.add(line.slice(4));
            if (acked.size >= 300 && !child.killed) {
              child.kill('SIGKILL');
              resolve();
            }
          });
        });
        await once(child, 'exit');
        expect(acked.size).toBeGreaterThanOrEqual(300);

        // Every acknowledged record is in the store after the kill.
        const events = await backend.store.listUsageEvents(customer.id, 0, Number.MAX_SAFE_INTEGER, 100_000);
        const stored = new Set(events.map((event) => event.idempotencyKey));
        const lost = [...acked].filter((key) => !stored.has(key));
        expect(lost).toEqual([]);

        // The client retries everything it sent (acknowledged or not): nothing is counted twice.
        const retry = createTollgate({
          catalog: testCatalog(),
          store: backend.store,
          counters: createMemoryCounters(),
        });
        const highest = Math.max(...[...stored].map((key) => Number(key?.slice(4))));
        const retried = await Promise.all(
          Array.from({ length: highest + 1 }, (_, i) =>
            retry.consume(customer.id, { operation: 'search', idempotencyKey: `key-${i}` }),
          ),
        );
        expect(retried.every((d) => d.allowed)).toBe(true);
        const usage = await retry.usage(customer.id);
        await retry.close();
        expect(usage.used).toBe((highest + 1) * 100);
        expect(await backend.store.sumUsageEvents(customer.id, usage.periodStart)).toEqual({
          cost: (highest + 1) * 100,
          events: highest + 1,
        });
      } finally {
        await backend.cleanup();
      }
    },
  );
});
