/**
 * A full webhook stack for tests: the emulator in-process (official SDK), the demo catalog's prices,
 * a test clock the engine's clock follows, the engine on a given real store, the HTTP service listening
 * on a socket with the webhook inbox and admin billing routes, and the emulator delivering signed
 * events to it. Tests drive Stripe with the SDK and move time with `advance`.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { indexWithCustomerPrices } from '../../../core/billing/custom-prices.js';
import { buildPriceIndex } from '../../../core/billing/subscription-state.js';
import type { Catalog } from '../../../core/catalog/catalog.js';
import { demoCatalog } from '../../../core/catalog/demo-catalog.js';
import type { Customer, Store } from '../../../core/ports.js';
import { createTollgate, type Tollgate } from '../../../core/tollgate.js';
import { createMemoryCounters } from '../../../counters/memory-counters.js';
import { type Emulator, startEmulator } from '../../../emulator/index.js';
import { createMemoryNotifier, type MemoryNotifier } from '../../../notifications/memory-notifier.js';
import { createServer } from '../../../server/create-server.js';
import { type BillingService, createBillingService } from '../../billing/billing-service.js';
import { type CatalogPriceIds, ensureCatalogPrices } from '../../gateway/ensure-catalog-prices.js';
import { createStripeGateway } from '../../gateway/stripe-gateway.js';
import { createStripeClient } from '../../stripe-client.js';
import {
  type AdvanceResult,
  type AdvanceTarget,
  advanceTestClock,
} from '../../test-clock/advance-test-clock.js';
import { TestClockFollower } from '../../test-clock/test-clock-follower.js';
import { TOLLGATE_CUSTOMER_KEY } from '../webhook-context.js';
import { createWebhookInbox, type WebhookInbox } from '../webhook-inbox.js';

export const GRACE_MS = 3 * 86_400_000;
export const START = Date.UTC(2026, 0, 15, 12);

export interface WebhookFixture {
  emulator: Emulator;
  stripe: Stripe;
  catalog: Catalog;
  priceIds: CatalogPriceIds;
  clock: TestClockFollower;
  testClock: string;
  tollgate: Tollgate;
  inbox: WebhookInbox;
  notifier: MemoryNotifier;
  app: FastifyInstance;
  adminKey: string;
  /** A Tollgate customer and its Stripe customer (on the test clock, metadata naming it). */
  newCustomer(paymentMethod?: string): Promise<{ customer: Customer; stripeCustomerId: string }>;
  /** Advances the test clock (seconds, or `{ to: 'renewal' }`) and waits until its webhooks are applied. */
  advance(by: number | AdvanceTarget): Promise<AdvanceResult>;
  /** Waits until the emulator delivered everything and the inbox applied it. */
  settle(): Promise<void>;
  customer(id: string): Promise<Customer>;
  close(): Promise<void>;
}

export interface WebhookFixtureOptions {
  /** Billing time when the fixture opens, Unix ms (default START). */
  start?: number;
}

/** What `openWebhookFixture` serves: also the billing routes and the customers' negotiated prices. */
export interface BillingWebhookFixture extends WebhookFixture {
  billing: BillingService;
}

export async function openWebhookFixture(
  store: Store,
  options: WebhookFixtureOptions = {},
): Promise<BillingWebhookFixture> {
  const catalog = demoCatalog();
  const emulator = await startEmulator({
    port: 0,
    tickIntervalMs: 0,
    webhookRetry: { initialDelayMs: 10, factor: 1 },
  });
  const stripe = createStripeClient({
    secretKey: emulator.secretKey,
    apiBase: emulator.url,
    maxNetworkRetries: 2,
  });
  const priceIds = await ensureCatalogPrices(stripe, catalog);
  const prices = buildPriceIndex(catalog, priceIds);
  const testClock = await stripe.testHelpers.testClocks.create({
    frozen_time: Math.floor((options.start ?? START) / 1000),
  });
  const clock = await new TestClockFollower(stripe, testClock.id, { refreshMs: 60_000 }).start();
  const tollgate = createTollgate({
    catalog,
    store,
    counters: createMemoryCounters(),
    clock,
    gracePeriodMs: GRACE_MS,
  });
  const notifier = createMemoryNotifier();
  const inbox = createWebhookInbox({
    tollgate,
    stripe,
    secrets: ['whsec_rotated_out', emulator.webhookSecret],
    // As the service runs: every customer's negotiated price is known to the webhooks too.
    prices: indexWithCustomerPrices(store, () => prices),
    notifier,
    gracePeriodMs: GRACE_MS,
    onTestClockReady: clock.onTestClockReady,
  });
  const advance = (target: AdvanceTarget) =>
    advanceTestClock({
      stripe,
      store,
      clockId: testClock.id,
      target,
      follower: clock,
      pollMs: 20,
      timeoutMs: 20_000,
    });
  const billing = createBillingService({
    tollgate,
    gateway: createStripeGateway({ stripe, testClock: testClock.id }),
    prices: () => prices,
    defaultTrialDays: 14,
  });
  const app = createServer({
    tollgate,
    billing,
    stripeWebhooks: inbox,
    adminBilling: { inbox, advanceClock: advance },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  emulator.addWebhookEndpoint({ url: `http://127.0.0.1:${port}/api/v1/webhooks/stripe` });
  const adminKey = (await tollgate.issueApiKey(null, 'test admin')).key;

  const settle = async () => {
    await emulator.settle();
    await inbox.idle();
  };

  return {
    emulator,
    stripe,
    catalog,
    priceIds,
    clock,
    testClock: testClock.id,
    tollgate,
    billing,
    inbox,
    notifier,
    app,
    adminKey,
    async newCustomer(paymentMethod) {
      const customer = await tollgate.createCustomer({ email: 'payer@example.com' });
      const stripeCustomer = await stripe.customers.create({
        email: 'payer@example.com',
        test_clock: testClock.id,
        metadata: { [TOLLGATE_CUSTOMER_KEY]: customer.id },
        ...(paymentMethod
          ? { payment_method: paymentMethod, invoice_settings: { default_payment_method: paymentMethod } }
          : {}),
      });
      await settle();
      return { customer, stripeCustomerId: stripeCustomer.id };
    },
    async advance(by) {
      const result = await advance(typeof by === 'number' ? { seconds: by } : by);
      await settle();
      return result;
    },
    settle,
    async customer(id) {
      const customer = await store.getCustomer(id);
      if (!customer) throw new Error(`no customer ${id}`);
      return customer;
    },
    async close() {
      await app.close();
      await tollgate.close();
      await emulator.close();
    },
  };
}
