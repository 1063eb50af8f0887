/**
 * The engine for one CLI command: the configured store and catalog, with no HTTP server and no
 * Stripe. Only the stable pieces of the composition root are used (`loadConfig`, `openStore`,
 * `loadCatalog`), so a command never starts the payment side. Billing time is the service's: a test
 * clock's (STRIPE_TEST_CLOCK, or the running demo's) when there is one, else the system clock, so
 * `tollgate usage` shows the period the service meters and `customers create` stamps the same time. Counters are Redis when REDIS_URL is set
 * (so `tollgate usage` shows the request windows the service sees), else in memory: then this process
 * knows no windows, and says so.
 */
import { loadConfig, type TollgateConfig } from '../config/load-config.js';
import { loadCatalog, openStore } from '../config/open-runtime.js';
import { systemClock } from '../core/clock.js';
import { DAY_MS } from '../core/periods.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createRedisCounters } from '../counters/redis-counters.js';
import { TestClockFollower } from '../stripe/test-clock/test-clock-follower.js';
import { findCliStripe } from './cli-stripe.js';

export interface CliEngine {
  config: TollgateConfig;
  tollgate: Tollgate;
  /** False when the counters are this process's own memory (no REDIS_URL): windows are unknown. */
  sharedCounters: boolean;
}

/** Opens the engine, runs `work`, and closes everything (usage commits flushed) whatever happens. */
export async function withEngine<T>(work: (engine: CliEngine) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { catalog } = loadCatalog(config);
  const store = openStore(config);
  const counters = config.REDIS_URL ? createRedisCounters({ url: config.REDIS_URL }) : createMemoryCounters();
  const found = await findCliStripe(config);
  const clock = found?.testClock ? await new TestClockFollower(found.stripe, found.testClock).start() : null;
  const tollgate = createTollgate({
    catalog,
    store,
    counters,
    ...(clock ? { clock, rateClock: systemClock } : {}),
    adminKey: config.TOLLGATE_ADMIN_KEY ?? null,
    gracePeriodMs: config.STRIPE_PAYMENT_GRACE_PERIOD_DAYS * DAY_MS,
  });
  try {
    // Safe on every run and from several processes; a fresh database then just works.
    await store.migrate();
    return await work({ config, tollgate, sharedCounters: config.REDIS_URL !== undefined });
  } finally {
    await tollgate.close();
    await counters.close();
    await store.close();
  }
}
