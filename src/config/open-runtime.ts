/**
 * The composition root: from a validated configuration, open the store (SQLite or PostgreSQL, migrated),
 * the counters (Redis when REDIS_URL is set, else in memory) and the catalog, and wire the engine.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Catalog } from '../core/catalog/catalog.js';
import { demoCatalog } from '../core/catalog/demo-catalog.js';
import { loadCatalogFile } from '../core/catalog/load-catalog-file.js';
import type { Clock } from '../core/clock.js';
import { DAY_MS } from '../core/periods.js';
import type { Counters, Store } from '../core/ports.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createRedisCounters } from '../counters/redis-counters.js';
import { createStore, parseDatabaseUrl } from '../store/create-store.js';
import type { TollgateConfig } from './load-config.js';

export interface Runtime {
  config: TollgateConfig;
  catalog: Catalog;
  /** True when no catalog file was given and the demo catalog is in use. */
  demoCatalog: boolean;
  store: Store;
  counters: Counters;
  tollgate: Tollgate;
  close(): Promise<void>;
}

export function loadCatalog(config: TollgateConfig): { catalog: Catalog; demo: boolean } {
  if (config.TOLLGATE_CONFIG) return { catalog: loadCatalogFile(config.TOLLGATE_CONFIG), demo: false };
  return { catalog: demoCatalog(), demo: true };
}

export function openStore(config: TollgateConfig): Store {
  const location = parseDatabaseUrl(config.DATABASE_URL);
  if (location.kind === 'sqlite' && location.filename !== ':memory:') {
    mkdirSync(dirname(location.filename), { recursive: true });
  }
  return createStore(config.DATABASE_URL, { synchronous: config.DATABASE_SYNCHRONOUS });
}

export async function openRuntime(config: TollgateConfig, options: { clock?: Clock } = {}): Promise<Runtime> {
  const loaded = loadCatalog(config);
  const demo = loaded.demo;
  // Limit errors always carry an upgrade link: the catalog's, else the billing page this service serves.
  const catalog = {
    ...loaded.catalog,
    upgradeUrl: loaded.catalog.upgradeUrl ?? `${config.publicUrl}/billing`,
  };
  const store = openStore(config);
  await store.migrate();
  const counters = config.REDIS_URL ? createRedisCounters({ url: config.REDIS_URL }) : createMemoryCounters();
  const postgres = parseDatabaseUrl(config.DATABASE_URL).kind === 'postgres';
  const tollgate = createTollgate({
    catalog,
    store,
    counters,
    clock: options.clock,
    adminKey: config.TOLLGATE_ADMIN_KEY ?? null,
    gracePeriodMs: config.STRIPE_PAYMENT_GRACE_PERIOD_DAYS * DAY_MS,
    commitConcurrency: config.TOLLGATE_COMMIT_CONCURRENCY ?? (postgres ? 4 : 1),
  });
  return {
    config,
    catalog,
    demoCatalog: demo,
    store,
    counters,
    tollgate,
    async close() {
      await tollgate.close();
      await counters.close();
      await store.close();
    },
  };
}
