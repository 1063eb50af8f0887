/**
 * A billing stack for tests: the engine on a real store, the Stripe emulator in-process reached through
 * the official SDK (as in production, via `createStripeClient`), the demo catalog's prices created in
 * it, a test clock frozen at the engine's (manual) clock, and the billing service over the gateway.
 */
import type Stripe from 'stripe';
import { buildPriceIndex } from '../../../core/billing/subscription-state.js';
import type { Catalog } from '../../../core/catalog/catalog.js';
import { demoCatalog } from '../../../core/catalog/demo-catalog.js';
import { ManualClock } from '../../../core/clock.js';
import type { Store } from '../../../core/ports.js';
import { createTollgate, type Tollgate } from '../../../core/tollgate.js';
import { createMemoryCounters } from '../../../counters/memory-counters.js';
import { type Emulator, startEmulator } from '../../../emulator/index.js';
import { type CatalogPriceIds, ensureCatalogPrices } from '../../gateway/ensure-catalog-prices.js';
import { createStripeGateway } from '../../gateway/stripe-gateway.js';
import { createStripeClient } from '../../stripe-client.js';
import { type BillingService, createBillingService } from '../billing-service.js';

/** One emulator for a whole test file: every test makes its own customers. */
export interface StripeSandbox {
  emulator: Emulator;
  stripe: Stripe;
  catalog: Catalog;
  priceIds: CatalogPriceIds;
  close(): Promise<void>;
}

export async function openStripeSandbox(catalog: Catalog = demoCatalog()): Promise<StripeSandbox> {
  const emulator = await startEmulator({ port: 0, tickIntervalMs: 0 });
  // Two retries with the SDK's backoff keep the fault tests quick; production uses three.
  const stripe = createStripeClient({
    secretKey: emulator.secretKey,
    apiBase: emulator.url,
    maxNetworkRetries: 2,
  });
  const priceIds = await ensureCatalogPrices(stripe, catalog);
  return { emulator, stripe, catalog, priceIds, close: () => emulator.close() };
}

export interface BillingFixture {
  tollgate: Tollgate;
  billing: BillingService;
  clock: ManualClock;
  testClock: string;
  newCustomer(): Promise<string>;
  close(): Promise<void>;
}

/** A billing service on the sandbox for an engine, its customers on a fresh test clock at the engine's time. */
export async function sandboxBilling(
  sandbox: StripeSandbox,
  tollgate: Tollgate,
): Promise<{ billing: BillingService; testClock: string }> {
  const testClock = await sandbox.stripe.testHelpers.testClocks.create({
    frozen_time: Math.floor(tollgate.clock.now() / 1000),
  });
  const prices = buildPriceIndex(sandbox.catalog, sandbox.priceIds);
  const billing = createBillingService({
    tollgate,
    gateway: createStripeGateway({ stripe: sandbox.stripe, testClock: testClock.id }),
    prices: () => prices,
    defaultTrialDays: 14,
  });
  return { billing, testClock: testClock.id };
}

export async function openBillingFixture(sandbox: StripeSandbox, store: Store): Promise<BillingFixture> {
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
  const counters = createMemoryCounters();
  const tollgate = createTollgate({ catalog: sandbox.catalog, store, counters, clock });
  const { billing, testClock } = await sandboxBilling(sandbox, tollgate);
  let count = 0;
  return {
    tollgate,
    billing,
    clock,
    testClock,
    async newCustomer() {
      count += 1;
      const customer = await tollgate.createCustomer({
        email: `c${count}@example.com`,
        name: `Customer ${count}`,
      });
      return customer.id;
    },
    async close() {
      await tollgate.close();
      await counters.close();
    },
  };
}
