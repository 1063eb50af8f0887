/**
 * The composition root: from a validated configuration, open the store (SQLite or PostgreSQL, migrated),
 * the counters (Redis when REDIS_URL is set, else in memory) and the catalog, wire the engine, and
 * connect Stripe: the real API with STRIPE_SECRET_KEY (STRIPE_API_BASE to point elsewhere), else,
 * outside production, the emulator started in-process (said at start-up). The billing service runs
 * over the gateway on whichever it is.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Stripe from 'stripe';
import { indexWithCustomerPrices } from '../core/billing/custom-prices.js';
import type { PaymentGateway } from '../core/billing/payment-gateway.js';
import { buildPriceIndex, type PriceIndex } from '../core/billing/subscription-state.js';
import type { Catalog } from '../core/catalog/catalog.js';
import { demoCatalog } from '../core/catalog/demo-catalog.js';
import { loadCatalogFile } from '../core/catalog/load-catalog-file.js';
import { type Clock, systemClock } from '../core/clock.js';
import { DAY_MS } from '../core/periods.js';
import type { Counters, Store } from '../core/ports.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createFallbackCounters } from '../counters/fallback-counters.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createRedisCounters } from '../counters/redis-counters.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { createStore, parseDatabaseUrl } from '../store/create-store.js';
import { type BillingService, createBillingService } from '../stripe/billing/billing-service.js';
import { operationPricesLookup, overagePriceLookup } from '../stripe/billing/overage-prices.js';
import { pushCatalog } from '../stripe/catalog-push/push-catalog.js';
import { createStripeGateway } from '../stripe/gateway/stripe-gateway.js';
import { createStripeClient } from '../stripe/stripe-client.js';
import { TestClockFollower } from '../stripe/test-clock/test-clock-follower.js';
import { type DemoState, type DemoStateFile, openDemoState } from './demo-state.js';
import { ConfigError, type TollgateConfig } from './load-config.js';

export interface Runtime {
  config: TollgateConfig;
  catalog: Catalog;
  /** True when no catalog file was given and the demo catalog is in use. */
  demoCatalog: boolean;
  store: Store;
  counters: Counters;
  tollgate: Tollgate;
  stripe: StripeRuntime;
  /** The demo's state kept beside its SQLite file (emulator data, keys), when the demo runs on one. */
  demoState: DemoStateFile | null;
  close(): Promise<void>;
}

export interface StripeRuntime {
  client: Stripe;
  /** `stripe`: the API of STRIPE_SECRET_KEY (or STRIPE_API_BASE); `emulator`: the one started here. */
  mode: 'stripe' | 'emulator';
  /** The in-process emulator, when `mode` is `emulator`. */
  emulator: Emulator | null;
  /** STRIPE_WEBHOOK_SECRET, else the emulator's signing secret; null when neither exists. */
  webhookSecret: string | null;
  /** The test clock new Stripe customers live on (STRIPE_TEST_CLOCK, or the demo's); null for none. */
  testClock: string | null;
  /** Tollgate's clock following that test clock, when there is one. */
  clockFollower: TestClockFollower | null;
  /**
   * Price id -> plan and interval: the catalog's, STRIPE_PRICE_ID_<TIER>, those created here, and
   * every customer's negotiated prices (read from the store on each call).
   */
  prices: () => Promise<PriceIndex>;
  gateway: PaymentGateway;
  billing: BillingService;
}

export interface RuntimeOptions {
  /** Tollgate's clock; default the test clock's follower when there is one, else the system clock. */
  clock?: Clock;
  /** The `npm start` demo: with the emulator, a test clock is created for it unless STRIPE_TEST_CLOCK is set. */
  demo?: boolean;
  /** Where start-up notices go (which Stripe is used); default stderr. */
  notice?: (line: string) => void;
}

/** The Stripe client: the configured API, or (not in production) an emulator started in-process. */
async function connectStripe(
  config: TollgateConfig,
  notice: (line: string) => void,
  demoState: DemoState | null,
): Promise<{ client: Stripe; emulator: Emulator | null }> {
  if (config.stripeSecretKey) {
    if (config.STRIPE_API_BASE)
      notice(`Stripe: using the API at ${config.STRIPE_API_BASE} (STRIPE_API_BASE).`);
    return {
      client: createStripeClient({
        secretKey: config.stripeSecretKey,
        apiBase: config.STRIPE_API_BASE ?? null,
      }),
      emulator: null,
    };
  }
  // loadConfig refuses this already; the composition root does not rely on it.
  if (config.NODE_ENV === 'production') throw new Error('STRIPE_SECRET_KEY: required in production');
  const emulator = await startEmulator({
    port: 0,
    ...(demoState
      ? { persistPath: demoState.emulatorStatePath, webhookSecret: demoState.webhookSecret }
      : {}),
  });
  notice(
    `Stripe: STRIPE_SECRET_KEY is not set, so the built-in Stripe emulator is running in-process at ${emulator.url} ` +
      (demoState
        ? `(test data, kept in ${demoState.emulatorStatePath}; never used in production).`
        : '(test data, lost on exit; never used in production).'),
  );
  return { client: createStripeClient({ secretKey: emulator.secretKey, apiBase: emulator.url }), emulator };
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
  return createStore(config.DATABASE_URL, {
    synchronous: config.DATABASE_SYNCHRONOUS,
    leaseTtlMs: config.TOLLGATE_LEASE_TTL_MS,
  });
}

export async function openRuntime(config: TollgateConfig, options: RuntimeOptions = {}): Promise<Runtime> {
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const loaded = loadCatalog(config);
  const demo = loaded.demo;
  // Limit errors always carry an upgrade link: the catalog's, else the billing page this service serves.
  const catalog = {
    ...loaded.catalog,
    upgradeUrl: loaded.catalog.upgradeUrl ?? `${config.publicUrl}/billing`,
  };
  // The database first: a wrong DATABASE_URL or a database that is down stops start-up before anything
  // else (the emulator, a test clock) has started.
  const store = await openCheckedStore(config);
  const demoState = options.demo && !config.stripeSecretKey ? openDemoState(config.DATABASE_URL) : null;
  let emulator: Emulator | null = null;
  try {
    const connected = await connectStripe(config, notice, demoState?.state ?? null);
    const client = connected.client;
    emulator = connected.emulator;
    // The emulator starts empty: the catalog is pushed into it (products, prices, the overage meter) so
    // plans can be sold at once. Against real Stripe the ids come from an earlier `tollgate plans push`.
    if (emulator) await pushCatalog({ stripe: client, catalog, store });
    const fromEnvironment = Object.fromEntries(
      Object.entries(config.stripePriceIds).map(([planId, priceId]) => [planId, { month: priceId }]),
    );
    const catalogIds = await store.getStripeCatalogIds();
    const priceIndex = buildPriceIndex(catalog, catalogIds, fromEnvironment);
    const overagePrice = overagePriceLookup(catalog, catalogIds, config.STRIPE_METERED_PRICE_ID);
    const operationPrices = operationPricesLookup(catalog, catalogIds);
    let testClock = config.STRIPE_TEST_CLOCK ?? null;
    if (testClock === null && options.demo && emulator) {
      const kept = (await client.testHelpers.testClocks.list({ limit: 100 })).data.find(
        (clock) => clock.name === DEMO_CLOCK_NAME,
      );
      if (kept) {
        testClock = kept.id;
        notice(
          `Stripe: the demo continues on test clock ${testClock} at ${new Date(kept.frozen_time * 1000).toISOString()}; Tollgate's time follows it.`,
        );
      } else {
        const start = config.TOLLGATE_DEMO_CLOCK_START ?? (options.clock ?? systemClock).now();
        const frozenTime = Math.floor(start / 1000);
        testClock = (
          await client.testHelpers.testClocks.create({ frozen_time: frozenTime, name: DEMO_CLOCK_NAME })
        ).id;
        notice(`Stripe: demo customers live on test clock ${testClock}; Tollgate's time follows it.`);
      }
    }
    if (demoState && emulator && testClock) demoState.saveRunning({ emulatorUrl: emulator.url, testClock });
    const clockFollower =
      testClock && !options.clock ? await new TestClockFollower(client, testClock).start() : null;

    const counters = config.REDIS_URL
      ? createFallbackCounters({
          primary: createRedisCounters({ url: config.REDIS_URL }),
          mode: config.TOLLGATE_REDIS_FAILURE,
          onStateChange: (state) =>
            notice(
              state === 'degraded'
                ? `Redis: out of reach; rate limits ${config.TOLLGATE_REDIS_FAILURE === 'open' ? 'count on this instance alone' : 'refuse requests (503)'} until it answers (TOLLGATE_REDIS_FAILURE=${config.TOLLGATE_REDIS_FAILURE}).`
                : 'Redis: answering again; rate limits are shared across instances.',
            ),
        })
      : createMemoryCounters();
    const postgres = parseDatabaseUrl(config.DATABASE_URL).kind === 'postgres';
    const tollgate = createTollgate({
      catalog,
      store,
      counters,
      clock: options.clock ?? clockFollower ?? undefined,
      // A followed test clock stands still between advances; rate limits must not.
      rateClock: clockFollower ? systemClock : undefined,
      adminKey: config.TOLLGATE_ADMIN_KEY ?? null,
      gracePeriodMs: config.STRIPE_PAYMENT_GRACE_PERIOD_DAYS * DAY_MS,
      commitConcurrency: config.TOLLGATE_COMMIT_CONCURRENCY ?? (postgres ? 4 : 1),
    });
    const gateway = createStripeGateway({ stripe: client, testClock });
    const catalogPrices = () => priceIndex;
    const prices = indexWithCustomerPrices(store, catalogPrices);
    const billing = createBillingService({
      tollgate,
      gateway,
      prices: catalogPrices,
      overagePrice,
      operationPrices,
      defaultTrialDays: config.STRIPE_TRIAL_PERIOD_DAYS,
    });
    return {
      config,
      catalog,
      demoCatalog: demo,
      store,
      counters,
      tollgate,
      stripe: {
        client,
        mode: emulator ? 'emulator' : 'stripe',
        emulator,
        webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? emulator?.webhookSecret ?? null,
        testClock,
        clockFollower,
        prices,
        gateway,
        billing,
      },
      demoState,
      async close() {
        await tollgate.close();
        await counters.close();
        await store.close();
        await emulator?.close();
      },
    };
  } catch (error) {
    await emulator?.close();
    await store.close();
    throw error;
  }
}

const DEMO_CLOCK_NAME = 'Tollgate demo';

/** Opens and migrates the store, turning "cannot connect" into one line that names DATABASE_URL. */
async function openCheckedStore(config: TollgateConfig): Promise<Store> {
  const store = openStore(config);
  try {
    await store.migrate();
    return store;
  } catch (error) {
    await store.close().catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`DATABASE_URL: the database could not be opened (${reason})`]);
  }
}
