/**
 * Stripe down, throttling or slow during the billing flows, through the HTTP routes against the
 * emulator's fault control (real HTTP to it): subscribe, upgrade, Checkout and Portal answer 503
 * `payment_provider_unavailable` once the SDK's retries are spent, with nothing written locally (the
 * customer row and the subscription mirror as they were), and work again once Stripe is back. A call
 * slower than the client's timeout is an outage too; its retry, with the same idempotency key, never
 * makes a second subscription.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildPriceIndex } from '../../core/billing/subscription-state.js';
import type { Customer } from '../../core/ports.js';
import { openTestServer, type TestServer } from '../../server/testing/open-test-server.js';
import { createStripeGateway } from '../gateway/stripe-gateway.js';
import { createStripeClient } from '../stripe-client.js';
import { createBillingService } from './billing-service.js';
import { openStripeSandbox, type StripeSandbox } from './testing/open-billing-fixture.js';

/** The client's timeout here: a Stripe answer slower than this is treated as Stripe being down. */
const TIMEOUT_MS = 400;

let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await openStripeSandbox();
}, 30_000);
afterAll(async () => {
  await sandbox?.close();
});

describe('billing while Stripe is down, throttling or slow', () => {
  let server: TestServer;
  let customer: { id: string; key: string };

  beforeEach(async () => {
    server = await openTestServer({
      catalog: sandbox.catalog,
      billing: async (tollgate) => {
        const testClock = await sandbox.stripe.testHelpers.testClocks.create({
          frozen_time: Math.floor(tollgate.clock.now() / 1000),
        });
        // One retry and a short timeout keep the test quick; production keeps the SDK's defaults.
        const stripe = createStripeClient({
          secretKey: sandbox.emulator.secretKey,
          apiBase: sandbox.emulator.url,
          maxNetworkRetries: 1,
          timeoutMs: TIMEOUT_MS,
        });
        const prices = buildPriceIndex(sandbox.catalog, sandbox.priceIds);
        return createBillingService({
          tollgate,
          gateway: createStripeGateway({ stripe, testClock: testClock.id }),
          prices: () => prices,
          defaultTrialDays: 14,
        });
      },
    });
    customer = await server.newCustomer({ email: 'outage@example.com' });
    // The Stripe customer exists before the outage: it is the one thing recorded before Stripe answers.
    const link = await post('/api/v1/billing/portal', { return_url: 'https://app.example/' });
    expect(link.statusCode).toBe(200);
  });

  afterEach(async () => {
    sandbox.emulator.clearFaults();
    await server.close();
  });

  const post = (url: string, body: unknown) => server.call('POST', url, { key: customer.key, body });

  /** What the store holds for the customer: its row (not its update time) and its mirrored subscriptions. */
  const local = async () => {
    const { updatedAt: _updatedAt, ...row } = (await server.store.getCustomer(customer.id)) as Customer;
    return { row, subscriptions: await server.store.listSubscriptions(row.stripeCustomerId ?? '') };
  };

  const flows = [
    [
      'subscribe',
      '/api/v1/billing/subscribe',
      { tier: 'starter', payment_method_id: 'pm_card_visa', trial: false },
    ],
    ['upgrade', '/api/v1/billing/upgrade', { new_tier: 'pro' }],
    [
      'Checkout',
      '/api/v1/billing/checkout',
      { tier: 'pro', success_url: 'https://app.example/ok', cancel_url: 'https://app.example/no' },
    ],
    ['Portal', '/api/v1/billing/portal', { return_url: 'https://app.example/' }],
  ] as const;

  const faults = [
    ['500s', { type: '500', count: 4 }],
    ['429s', { type: '429', count: 4 }],
    ['answers slower than the timeout', { type: 'slow', count: 4, delay_ms: TIMEOUT_MS * 3 }],
  ] as const;

  for (const [faultName, fault] of faults) {
    it(`answers 503 with nothing written for every flow on ${faultName}, and works once Stripe is back`, async () => {
      for (const [flow, url, body] of flows) {
        // Checkout needs a customer without a subscription, upgrade one with: subscribe first for those.
        if (flow === 'upgrade') {
          const subscribed = await post('/api/v1/billing/subscribe', {
            tier: 'starter',
            payment_method_id: 'pm_card_visa',
            trial: false,
          });
          expect(subscribed.statusCode, subscribed.body).toBe(200);
        }
        const before = await local();
        sandbox.emulator.injectFault({ ...fault, path_prefix: '/v1/' });
        const started = performance.now();
        const failed = await post(url, body);
        expect(failed.statusCode, `${flow}: ${failed.body}`).toBe(503);
        expect(failed.json()).toMatchObject({ error: 'payment_provider_unavailable' });
        expect(await local(), flow).toEqual(before);
        // Bounded: the retries and their backoff, never an unbounded wait.
        expect(performance.now() - started).toBeLessThan(8_000);

        sandbox.emulator.clearFaults();
        const recovered = await post(url, body);
        expect(recovered.statusCode, `${flow} after: ${recovered.body}`).toBe(200);
        if (flow === 'subscribe' || flow === 'upgrade') {
          expect((await local()).row).toMatchObject({
            plan: flow === 'subscribe' ? 'starter' : 'pro',
            status: 'active',
          });
          // A slow call Stripe finished after the client gave up is found again by its key.
          const stripeCustomerId = (await local()).row.stripeCustomerId ?? '';
          const live = await sandbox.stripe.subscriptions.list({ customer: stripeCustomerId });
          expect(live.data, flow).toHaveLength(1);
          await post('/api/v1/billing/cancel', { immediate: true });
        }
      }
    }, 60_000);
  }
});
