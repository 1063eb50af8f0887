/**
 * The inbox's guarantees, on SQLite and PostgreSQL: a bad or stale signature answers 400 and stores
 * nothing; a duplicate answers 200 and does nothing; a failed handler answers 500 and the redelivery
 * applies; and the same events delivered with duplicates and in any order end in exactly the state
 * that in-order, once-only delivery gives (a fast-check property over several seeds).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { buildPriceIndex } from '../../core/billing/subscription-state.js';
import { ManualClock } from '../../core/clock.js';
import type { Customer, Store } from '../../core/ports.js';
import { createTollgate } from '../../core/tollgate.js';
import { createMemoryCounters } from '../../counters/memory-counters.js';
import { signPayload } from '../../emulator/index.js';
import { handledEventTypes } from './handler-registry.js';
import { openWebhookFixture, type WebhookFixture } from './testing/webhook-fixture.js';
import { createWebhookInbox } from './webhook-inbox.js';

const DAY = 86_400;
const SECRET = 'whsec_property_test';
const WEBHOOK = '/api/v1/webhooks/stripe';

/** A small seeded generator, so a failing seed replays exactly. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe.each(backends)('webhook inbox (%s)', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let fx: WebhookFixture;

  beforeAll(async () => {
    backend = await open();
    fx = await openWebhookFixture(backend.store);
  }, 30_000);

  afterAll(async () => {
    await fx?.close();
    await backend?.cleanup();
  });

  const post = (payload: string, signature: string | undefined) =>
    fx.app.inject({
      method: 'POST',
      url: WEBHOOK,
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'stripe-signature': signature } : {}),
      },
      payload,
    });

  const anEvent = (id: string) =>
    JSON.stringify({
      id,
      object: 'event',
      type: 'customer.updated',
      created: Math.floor(fx.clock.now() / 1000),
      data: { object: { id: 'cus_unknown_to_tollgate', object: 'customer', metadata: {} } },
    });

  it('answers 400 to a bad, missing or stale signature and stores nothing', async () => {
    const payload = anEvent('evt_bad_signature');
    const answers = await Promise.all([
      post(payload, signPayload(payload, 'whsec_someone_else')),
      post(payload, undefined),
      post(payload, signPayload(payload, fx.emulator.webhookSecret, Math.floor(Date.now() / 1000) - 301)),
      post(payload, signPayload(`${payload} `, fx.emulator.webhookSecret)),
    ]);
    for (const answer of answers) {
      expect(answer.statusCode).toBe(400);
      expect(answer.json()).toMatchObject({ error: 'invalid_request' });
    }
    expect(await backend.store.getWebhookEvent('evt_bad_signature')).toBeUndefined();
  });

  it('answers 400 naming the field to signed bytes that are no event, and stores nothing', async () => {
    const payload = JSON.stringify({ id: 'evt_no_type', object: 'event', created: 1, data: { object: {} } });
    const answer = await post(payload, signPayload(payload, fx.emulator.webhookSecret));
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({
      error: 'invalid_request',
      issues: [{ path: 'body.type' }],
    });
    expect(await backend.store.getWebhookEvent('evt_no_type')).toBeUndefined();
  });

  it('accepts any configured secret (rotation) and answers a duplicate 200 doing nothing', async () => {
    const payload = anEvent('evt_rotation');
    const first = await post(payload, signPayload(payload, fx.emulator.webhookSecret));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: true, outcome: 'ignored' });
    const again = await post(payload, signPayload(payload, fx.emulator.webhookSecret));
    expect(again.json()).toEqual({ received: true, duplicate: true });
    expect(await backend.store.getWebhookEvent('evt_rotation')).toMatchObject({
      status: 'processed',
      attempts: 1,
    });
  });

  it('answers 500 when a handler fails, and applies the redelivery', async () => {
    const tollgateCustomer = await fx.tollgate.createCustomer({});
    const stripeCustomer = await fx.stripe.customers.create({
      metadata: { tollgate_customer_id: tollgateCustomer.id },
    });
    const payload = JSON.stringify({
      id: 'evt_flaky',
      object: 'event',
      type: 'customer.subscription.updated',
      created: Math.floor(fx.clock.now() / 1000),
      data: {
        object: {
          id: 'sub_flaky',
          object: 'subscription',
          customer: stripeCustomer.id,
          metadata: {},
          status: 'incomplete',
          items: { object: 'list', data: [] },
        },
      },
    });
    // Stripe is down while the handler looks the customer up (the SDK's retries included).
    fx.emulator.injectFault({ type: '500', count: 3, path_prefix: '/v1/customers' });
    const failed = await post(payload, signPayload(payload, fx.emulator.webhookSecret));
    expect(failed.statusCode).toBe(500);
    expect(await backend.store.getWebhookEvent('evt_flaky')).toMatchObject({ status: 'failed', attempts: 1 });
    fx.emulator.clearFaults();

    const retried = await post(payload, signPayload(payload, fx.emulator.webhookSecret));
    expect(retried.statusCode, JSON.stringify(await backend.store.getWebhookEvent('evt_flaky'))).toBe(200);
    expect(await backend.store.getWebhookEvent('evt_flaky')).toMatchObject({
      status: 'processed',
      attempts: 2,
    });
    expect(await fx.customer(tollgateCustomer.id)).toMatchObject({
      stripeCustomerId: stripeCustomer.id,
      stripeSubscriptionId: 'sub_flaky',
    });
  });

  it('ends in the in-order state whatever the order and duplicates of delivery', async () => {
    const firstEvent = fx.emulator.events().length;
    const price = (plan: string) => fx.priceIds[plan]?.month ?? '';
    const customers: string[] = [];
    const subscribe = async (plan: string, card: string | null, trialDays = 0) => {
      const { customer, stripeCustomerId } = await fx.newCustomer(card ?? undefined);
      customers.push(customer.id);
      const subscription = await fx.stripe.subscriptions.create({
        customer: stripeCustomerId,
        items: [{ price: price(plan) }],
        ...(trialDays > 0 ? { trial_period_days: trialDays } : {}),
      });
      return { stripeCustomerId, subscription };
    };
    const setCard = async (stripeCustomerId: string, method: string) => {
      const card = await fx.stripe.paymentMethods.attach(method, { customer: stripeCustomerId });
      await fx.stripe.customers.update(stripeCustomerId, {
        invoice_settings: { default_payment_method: card.id },
      });
    };
    const recovering: string[] = [];
    for (let round = 0; round < 2; round += 1) {
      const trial = await subscribe('pro', null, 7);
      await subscribe('starter', 'pm_card_visa');
      const canceling = await subscribe('pro', 'pm_card_visa');
      const failing = await subscribe('pro', 'pm_card_visa');
      const recoverer = await subscribe('starter', 'pm_card_visa');
      await fx.settle();
      await fx.stripe.subscriptions.update(canceling.subscription.id, { cancel_at_period_end: true });
      await setCard(failing.stripeCustomerId, 'pm_card_chargeCustomerFail');
      await setCard(recoverer.stripeCustomerId, 'pm_card_chargeCustomerFail');
      await setCard(trial.stripeCustomerId, 'pm_card_visa');
      recovering.push(recoverer.stripeCustomerId);
    }
    await fx.advance(33 * DAY);
    for (const stripeCustomerId of recovering) await setCard(stripeCustomerId, 'pm_card_visa');
    await fx.advance(10 * DAY);
    await fx.advance(25 * DAY);

    const handled = new Set(handledEventTypes());
    const events = fx.emulator
      .events()
      .slice(firstEvent)
      .filter((event) => handled.has(event.type) && event.type !== 'test_helpers.test_clock.ready')
      .slice(0, 200);
    expect(events.length).toBeGreaterThanOrEqual(150);
    const payloads = events.map((event) => JSON.stringify(event));
    const prices = buildPriceIndex(fx.catalog, fx.priceIds);

    const deliver = async (order: number[]) => {
      const other = await open();
      try {
        const tollgate = createTollgate({
          catalog: fx.catalog,
          store: other.store,
          counters: createMemoryCounters(),
          clock: new ManualClock(fx.clock.now()),
        });
        for (const id of customers) await copyCustomer(backend.store, other.store, id);
        const inbox = createWebhookInbox({
          tollgate,
          stripe: fx.stripe,
          secrets: [SECRET],
          prices: () => prices,
        });
        for (const index of order) {
          const payload = payloads[index] ?? '';
          const answer = await inbox.receive(payload, signPayload(payload, SECRET));
          expect(answer.status).toBe(200);
        }
        await tollgate.close();
        return await stateOf(other.store, customers);
      } finally {
        await other.cleanup();
      }
    };

    const expected = await deliver(payloads.map((_, index) => index));
    expect(expected.customers.map((customer) => customer.plan)).toContain('free');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const next = random(seed);
        const order = payloads.flatMap((_, index) => (next() < 0.3 ? [index, index] : [index]));
        for (let index = order.length - 1; index > 0; index -= 1) {
          const swap = Math.floor(next() * (index + 1));
          [order[index], order[swap]] = [order[swap] ?? 0, order[index] ?? 0];
        }
        expect(await deliver(order)).toEqual(expected);
      }),
      { numRuns: 4 },
    );
  }, 120_000);
});

async function copyCustomer(from: Store, to: Store, id: string): Promise<void> {
  const customer = await from.getCustomer(id);
  if (!customer) throw new Error(`no customer ${id}`);
  await to.createCustomer({ id, email: customer.email, plan: 'free', createdAt: customer.createdAt });
}

async function stateOf(store: Store, ids: string[]) {
  const customers: Array<Omit<Customer, 'updatedAt'>> = [];
  for (const id of ids) {
    const { updatedAt: _updatedAt, ...customer } = (await store.getCustomer(id)) as Customer;
    customers.push(customer);
  }
  const { invoices } = await store.listInvoices({ limit: 100 });
  return { customers, invoices };
}
