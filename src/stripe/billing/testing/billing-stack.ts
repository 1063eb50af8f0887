/**
 * A billing stack for metered-billing tests: the emulator in-process (official SDK), the catalog
 * pushed into it as `tollgate plans push` does, the engine on a given real store with a manual clock
 * from a fixed date, a Stripe test clock at the same time, and the billing service with the metered
 * prices looked up from the ids the push recorded.
 */
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Backend } from '../../../../test/support/backends.js';
import { buildPriceIndex } from '../../../core/billing/subscription-state.js';
import type { Catalog } from '../../../core/catalog/catalog.js';
import { ManualClock } from '../../../core/clock.js';
import type { Counters, StripeCatalogIds } from '../../../core/ports.js';
import { createTollgate, type Tollgate } from '../../../core/tollgate.js';
import { createMemoryCounters } from '../../../counters/memory-counters.js';
import { type Emulator, startEmulator } from '../../../emulator/index.js';
import { pushCatalog } from '../../catalog-push/push-catalog.js';
import { createStripeGateway } from '../../gateway/stripe-gateway.js';
import { createStripeClient } from '../../stripe-client.js';
import { type BillingService, createBillingService } from '../billing-service.js';
import { operationPricesLookup, overagePriceLookup } from '../overage-prices.js';

export interface Sandbox {
  emulator: Emulator;
  stripe: Stripe;
  catalog: Catalog;
}

export async function openSandbox(catalog: Catalog): Promise<Sandbox> {
  const emulator = await startEmulator({ port: 0, tickIntervalMs: 0 });
  const stripe = createStripeClient({ secretKey: emulator.secretKey, apiBase: emulator.url });
  return { emulator, stripe, catalog };
}

export interface Stack {
  tollgate: Tollgate;
  counters: Counters;
  billing: BillingService;
  clock: ManualClock;
  testClock: string;
  ids: StripeCatalogIds;
  newCustomer(): Promise<string>;
  close(): Promise<void>;
}

/** The catalog pushed into the emulator and recorded in the store, and the billing service over it. */
export async function openStack(sandbox: Sandbox, backend: Backend): Promise<Stack> {
  const { stripe, catalog } = sandbox;
  await pushCatalog({ stripe, catalog, store: backend.store });
  const ids = await backend.store.getStripeCatalogIds();
  const clock = new ManualClock(Date.UTC(2026, 0, 15, 12));
  const counters = createMemoryCounters();
  const tollgate = createTollgate({ catalog, store: backend.store, counters, clock });
  const testClock = await stripe.testHelpers.testClocks.create({ frozen_time: clock.now() / 1000 });
  const prices = buildPriceIndex(catalog, ids);
  const billing = createBillingService({
    tollgate,
    gateway: createStripeGateway({ stripe, testClock: testClock.id }),
    prices: () => prices,
    overagePrice: overagePriceLookup(catalog, ids, null),
    operationPrices: operationPricesLookup(catalog, ids),
    defaultTrialDays: 14,
  });
  let count = 0;
  return {
    tollgate,
    counters,
    billing,
    clock,
    testClock: testClock.id,
    ids,
    async newCustomer() {
      count += 1;
      return (await tollgate.createCustomer({ email: `o${count}@example.com`, name: `Overage ${count}` })).id;
    },
    async close() {
      await tollgate.close();
      await counters.close();
    },
  };
}

/** The subscription's items as (price, usage type, meter), plan item first. */
export async function itemsOf(stripe: Stripe, subscriptionId: string) {
  const subscription = await stripe.subscriptions.retrieve(subscriptionId);
  return subscription.items.data
    .map((item) => ({
      price: item.price.id,
      usageType: item.price.recurring?.usage_type ?? null,
      meter: item.price.recurring?.meter ?? null,
    }))
    .sort((a, b) => (a.usageType === 'metered' ? 1 : 0) - (b.usageType === 'metered' ? 1 : 0));
}

/**
 * The hooks every metered-billing suite runs: one emulator sandbox with `catalog` for the suite, and a
 * fresh backend and stack for each test, handed to `use` as they open.
 */
export function useBillingStack(
  open: () => Promise<Backend>,
  catalog: () => Catalog,
  use: (opened: { sandbox: Sandbox; backend: Backend; stack: Stack }) => void,
): void {
  let sandbox: Sandbox | undefined;
  let opened: { sandbox: Sandbox; backend: Backend; stack: Stack } | undefined;
  beforeAll(async () => {
    sandbox = await openSandbox(catalog());
  });
  afterAll(async () => {
    await sandbox?.emulator.close();
  });
  beforeEach(async () => {
    if (!sandbox) throw new Error('the billing sandbox did not open');
    const backend = await open();
    opened = { sandbox, backend, stack: await openStack(sandbox, backend) };
    use(opened);
  });
  afterEach(async () => {
    await opened?.stack.close();
    await opened?.backend.cleanup();
  });
}
