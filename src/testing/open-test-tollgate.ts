/**
 * Tollgate for tests: the engine on a fresh SQLite store in memory, memory counters and a manual
 * clock, so a test sees real admission, quotas and periods without a database server, and moves time
 * by hand instead of sleeping. `newCustomer` gives a customer with an API key in one call.
 */
import type { Catalog } from '../core/catalog/catalog.js';
import { ManualClock } from '../core/clock.js';
import type { Store } from '../core/ports.js';
import { createTollgate, type NewCustomerInput, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';

export interface TestTollgateOptions {
  catalog: Catalog;
  /** A migrated store to use (closed by the caller); default a fresh SQLite store in memory. */
  store?: Store;
  /** Start time of the manual clock; default 2026-01-15 12:00 UTC. */
  now?: number;
  commitConcurrency?: number;
}

export interface TestTollgate {
  tollgate: Tollgate;
  store: Store;
  clock: ManualClock;
  /** Creates a customer (free plan unless `plan` says otherwise) and issues it an API key. */
  newCustomer(input?: NewCustomerInput): Promise<{ id: string; key: string }>;
  /** Closes the engine and counters, and the store when it was opened here. */
  close(): Promise<void>;
}

/**
 * @example
 * const { tollgate, clock, newCustomer, close } = await openTestTollgate({ catalog: defineCatalog(...) });
 * const { key } = await newCustomer({ plan: 'pro' });
 * clock.advance(31 * 86_400_000); // into the next period
 */
export async function openTestTollgate(options: TestTollgateOptions): Promise<TestTollgate> {
  const ownStore = options.store === undefined;
  const store = options.store ?? createSqliteStore({ filename: ':memory:' });
  if (ownStore) await store.migrate();
  const clock = new ManualClock(options.now ?? Date.UTC(2026, 0, 15, 12));
  const counters = createMemoryCounters();
  const tollgate = createTollgate({
    catalog: options.catalog,
    store,
    counters,
    clock,
    ...(options.commitConcurrency !== undefined ? { commitConcurrency: options.commitConcurrency } : {}),
  });
  return {
    tollgate,
    store,
    clock,
    async newCustomer(input = {}) {
      const customer = await tollgate.createCustomer(input);
      return { id: customer.id, key: (await tollgate.issueApiKey(customer.id)).key };
    },
    async close() {
      await tollgate.close();
      await counters.close();
      if (ownStore) await store.close();
    },
  };
}
