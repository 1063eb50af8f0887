/**
 * A customer who ends one subscription and starts another keeps the plan Stripe bills them for,
 * whatever order the two subscriptions' events arrive in, on SQLite and PostgreSQL. The flow goes
 * through the billing routes against the emulator; its events, seconds apart on the test clock, are
 * then delivered by hand in the order a late retry gives.
 */
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { buildPriceIndex } from '../../core/billing/subscription-state.js';
import { signPayload } from '../../emulator/index.js';
import { openTestServer, type TestServer } from '../../server/testing/open-test-server.js';
import {
  openStripeSandbox,
  type StripeSandbox,
  sandboxBilling,
} from '../billing/testing/open-billing-fixture.js';
import { createWebhookInbox, type WebhookInbox } from './webhook-inbox.js';

const SECRET = 'whsec_several_subscriptions';

let sandbox: StripeSandbox;
beforeAll(async () => {
  sandbox = await openStripeSandbox();
}, 30_000);
afterAll(async () => {
  await sandbox?.close();
});

describe.each(backends)('a customer with several subscriptions (%s)', (_name, open) => {
  let backend: Awaited<ReturnType<typeof open>>;
  let server: TestServer;
  let inbox: WebhookInbox;
  let testClock: string;

  beforeAll(async () => {
    backend = await open();
    server = await openTestServer({
      catalog: sandbox.catalog,
      store: backend.store,
      billing: async (tollgate) => {
        const opened = await sandboxBilling(sandbox, tollgate);
        testClock = opened.testClock;
        return opened.billing;
      },
    });
    const prices = buildPriceIndex(sandbox.catalog, sandbox.priceIds);
    inbox = createWebhookInbox({
      tollgate: server.tollgate,
      stripe: sandbox.stripe,
      secrets: [SECRET],
      prices: () => prices,
    });
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    await backend?.cleanup();
  });

  /** Moves the test clock (and so Stripe's `created` of the next events) a few seconds on. */
  const later = async (seconds: number) => {
    const clock = await sandbox.stripe.testHelpers.testClocks.retrieve(testClock);
    await sandbox.stripe.testHelpers.testClocks.advance(testClock, {
      frozen_time: clock.frozen_time + seconds,
    });
    await sandbox.emulator.settle();
  };

  /** Subscribes starter yearly, cancels it now, subscribes pro; returns the two subscriptions' events. */
  async function resubscribe() {
    const customer = await server.newCustomer({ email: 'resubscriber@example.com' });
    const call = async (url: string, body: unknown) => {
      const answer = await server.call('POST', url, { key: customer.key, body });
      expect(answer.statusCode, answer.body).toBe(200);
      return answer.json();
    };
    const first = sandbox.emulator.events().length;
    await call('/api/v1/billing/subscribe', {
      tier: 'starter',
      interval: 'year',
      payment_method_id: 'pm_card_amex',
    });
    await later(5);
    await call('/api/v1/billing/cancel', { immediate: true });
    await later(5);
    await call('/api/v1/billing/subscribe', { tier: 'pro', payment_method_id: 'pm_card_visa' });
    await sandbox.emulator.settle();
    const stripeCustomerId = (await server.store.getCustomer(customer.id))?.stripeCustomerId;
    const events = (sandbox.emulator.events().slice(first) as unknown as Stripe.Event[]).filter(
      (event) =>
        event.type.startsWith('customer.subscription.') &&
        (event.data.object as Stripe.Subscription).customer === stripeCustomerId,
    );
    const subscriptionOf = (event: Stripe.Event) => (event.data.object as Stripe.Subscription).id;
    const oldId = subscriptionOf(events[0] as Stripe.Event);
    return {
      customer,
      old: events.filter((event) => subscriptionOf(event) === oldId),
      new: events.filter((event) => subscriptionOf(event) !== oldId),
    };
  }

  const deliver = async (events: Stripe.Event[]) => {
    for (const event of events) {
      const payload = JSON.stringify(event);
      const answer = await inbox.receive(payload, signPayload(payload, SECRET));
      expect(answer.status).toBe(200);
    }
  };

  const subscriptionOf = async (key: string) =>
    (await server.call('GET', '/api/v1/billing/subscription', { key })).json();

  it('stays on the new plan when the new subscription is created before the old one ends', async () => {
    const flow = await resubscribe();
    expect(flow.old.map((event) => event.type)).toEqual([
      'customer.subscription.created',
      'customer.subscription.deleted',
    ]);
    expect(flow.new.map((event) => event.type)).toContain('customer.subscription.created');
    const created = flow.old.map((event) => event.created);
    expect(flow.new[0]?.created).toBeGreaterThan(created[1] ?? 0);
    expect((created[1] ?? 0) - (created[0] ?? 0)).toBeGreaterThanOrEqual(5);

    // The new subscription's events first, then the old one's (a late retry).
    await deliver([...flow.new, ...flow.old]);
    expect(await subscriptionOf(flow.customer.key)).toMatchObject({
      subscription_tier: 'pro',
      status: 'active',
      subscription_id: flow.new[0] && (flow.new[0].data.object as Stripe.Subscription).id,
    });
  }, 30_000);

  it('stays on the new plan when the old subscription ends last, or its creation comes last', async () => {
    for (const order of [
      (flow: Awaited<ReturnType<typeof resubscribe>>) => [flow.old[0], ...flow.new, flow.old[1]],
      (flow: Awaited<ReturnType<typeof resubscribe>>) => [flow.old[1], ...flow.new, flow.old[0]],
      (flow: Awaited<ReturnType<typeof resubscribe>>) => [...flow.old, ...flow.new],
    ]) {
      const flow = await resubscribe();
      await deliver(order(flow).filter((event): event is Stripe.Event => event !== undefined));
      expect(await subscriptionOf(flow.customer.key)).toMatchObject({
        subscription_tier: 'pro',
        status: 'active',
      });
    }
  }, 60_000);
});
