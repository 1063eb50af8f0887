/**
 * The customer cache past its cache time: a customer is not read again while the store vouches that
 * nothing changed it unheard (SQLite: no other connection committed; PostgreSQL: the change feed
 * stayed connected), and is read again as soon as that stops holding, at the quiet time, and at the
 * end of its credit period. Real stores, two connections each, on a controlled billing clock.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresTestStore, openSqliteTestStore, postgresTestUrl } from '../store/test-databases.js';
import { createCustomerCache } from './customer-cache.js';
import type { Customer, Store } from './ports.js';

/** 2026-03-10, inside a calendar month whose end is 2026-04-01 (the free plan's credit period). */
const T0 = Date.UTC(2026, 2, 10);
const APRIL = Date.UTC(2026, 3, 1);
const TTL_MS = 1_000;
const QUIET_MS = 30_000;

/** The store with its customer reads counted. */
function counting(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'getCustomer') {
        return (id: string) => {
          reads += 1;
          return target.getCustomer(id);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return { store: counted, reads: () => reads };
}

async function plan(loaded: Customer | Promise<Customer>): Promise<string> {
  return (await loaded).plan;
}

type Opened = { store: Store; openAnother?: () => Promise<Store>; cleanup(): Promise<void>; schema?: string };

const stores: Array<[string, () => Promise<Opened>]> = [
  ['sqlite', openSqliteTestStore],
  ['postgres', openPostgresTestStore],
];

describe.each(stores)('customer cache on %s', (_name, open) => {
  const closing: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });

  async function setup() {
    const handle = await open();
    closing.push(() => handle.cleanup());
    const other = await (handle.openAnother as () => Promise<Store>)();
    closing.push(() => other.close());
    const { store, reads } = counting(handle.store);
    let now = T0;
    const cache = createCustomerCache({ store, now: () => now, ttlMs: TTL_MS, quietTtlMs: QUIET_MS });
    closing.push(async () => cache.close());
    const id = `cus_${Math.random().toString(36).slice(2)}`;
    await handle.store.createCustomer({ id, plan: 'free', createdAt: T0 });
    // PostgreSQL: the feed's listener connects in the background; a copy read before it is trusted
    // for the cache time only.
    for (let attempt = 0; attempt < 100 && handle.store.quietToken?.() === null; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(handle.store.quietToken?.()).not.toBeNull();
    return {
      store: handle.store,
      other,
      cache,
      reads,
      id,
      at: (ms: number) => (now = ms),
      schema: handle.schema,
    };
  }

  it('keeps a customer past the cache time while nothing else wrote, then reads it again at the quiet time', async () => {
    const { cache, reads, id, at } = await setup();
    expect(await plan(cache.load(id, T0))).toBe('free');
    expect(reads()).toBe(1);
    at(T0 + TTL_MS + 1);
    expect(await plan(cache.load(id, T0 + TTL_MS + 1))).toBe('free');
    at(T0 + QUIET_MS - 1);
    expect(await plan(cache.load(id, T0 + QUIET_MS - 1))).toBe('free');
    expect(reads()).toBe(1);
    at(T0 + QUIET_MS);
    await cache.load(id, T0 + QUIET_MS);
    expect(reads()).toBe(2);
  });

  it('reads it again past the cache time once another connection may have changed it unheard', async () => {
    const { cache, reads, id, at, other, store, schema } = await setup();
    await cache.load(id, T0);
    // Another process changes the customer without telling anyone (no change notice).
    await other.updateCustomer(id, { plan: 'pro', updatedAt: T0 + 1 });
    // SQLite asks whether another connection committed at most every 100 ms (of real time).
    await new Promise((resolve) => setTimeout(resolve, 120));
    if (_name === 'postgres') {
      // PostgreSQL vouches through its listener: it is cut, so the quiet promise ends.
      const client = new pg.Client({ connectionString: postgresTestUrl });
      await client.connect();
      // Only this schema's listeners: other tests' feeds share the server.
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where query = $1', [
        `LISTEN "tollgate_customers_${schema}"`,
      ]);
      await client.end();
      for (let attempt = 0; attempt < 100 && store.quietToken?.() !== null; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    // Within the cache time the copy stands, as it always has.
    at(T0 + TTL_MS - 1);
    expect(await plan(cache.load(id, T0 + TTL_MS - 1))).toBe('free');
    at(T0 + TTL_MS);
    expect(await plan(cache.load(id, T0 + TTL_MS))).toBe('pro');
    expect(reads()).toBe(2);
  });

  it('reads it again at the end of the credit period it was read in, however quiet', async () => {
    const { cache, reads, id, at } = await setup();
    const late = APRIL - 5_000;
    at(late);
    await cache.load(id, late);
    at(APRIL - 1);
    await cache.load(id, APRIL - 1);
    expect(reads()).toBe(1);
    at(APRIL);
    await cache.load(id, APRIL);
    expect(reads()).toBe(2);
  });
});

describe('customer cache invalidation when a change notice cannot be sent', () => {
  it('waits out the quiet time, since instances listening all along may trust their copies that long', async () => {
    const feed = {
      publish: async (): Promise<boolean> => {
        throw new Error('connection lost');
      },
      subscribe: () => () => {},
    };
    const unsent = { customerChanges: feed, quietToken: () => 1 } as unknown as Store;
    const cache = createCustomerCache({ store: unsent, now: () => T0, ttlMs: 5, quietTtlMs: 2_000 });
    let started = performance.now();
    await cache.invalidate('cus_1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_990);

    // Sent but not heard back: whoever listened heard it; the others trust nothing past the cache time.
    feed.publish = async () => false;
    started = performance.now();
    await cache.invalidate('cus_1');
    expect(performance.now() - started).toBeLessThan(1_000);
    cache.close();
  });
});
