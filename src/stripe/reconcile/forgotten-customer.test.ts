/**
 * A Stripe that no longer knows a customer (its test data was reset, or the customer was deleted in the
 * Dashboard), on SQLite and PostgreSQL: billing calls fail with a 409 naming the repair, and
 * `reconcile` unlinks the customer and puts it back on the free plan, so it can subscribe again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../../../test/support/backends.js';
import { buildPriceIndex } from '../../core/billing/subscription-state.js';
import { TollgateError } from '../../core/errors.js';
import { callStripe } from '../gateway/stripe-errors.js';
import { openWebhookFixture, type WebhookFixture } from '../webhooks/testing/webhook-fixture.js';
import { reconcile } from './reconcile.js';

describe.each(backends)('a customer Stripe forgot (%s)', (_name, open) => {
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

  it('answers 409 naming reconcile, which unlinks the customer back to the free plan', async () => {
    const { customer, stripeCustomerId } = await fx.newCustomer('pm_card_visa');
    await fx.stripe.subscriptions.create({
      customer: stripeCustomerId,
      items: [{ price: fx.priceIds.pro?.month ?? '' }],
    });
    await fx.settle();
    await fx.tollgate.updateCustomer(customer.id, { stripeCustomerId });
    expect(await fx.customer(customer.id)).toMatchObject({ plan: 'pro', stripeCustomerId });

    // Stripe's test data is reset (no webhook tells of it); then a customer is created anew there.
    fx.emulator.reset();
    const kept = await fx.tollgate.createCustomer({ email: 'kept@example.com' });
    const keptStripe = await fx.stripe.customers.create({ email: 'kept@example.com' });
    await fx.tollgate.updateCustomer(kept.id, { stripeCustomerId: keptStripe.id });

    const refused = await callStripe(() => fx.stripe.customers.update(stripeCustomerId, { name: 'x' })).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(TollgateError);
    expect(refused).toMatchObject({ code: 'conflict', status: 409 });
    expect((refused as TollgateError).message).toContain('tollgate reconcile');
    expect((refused as TollgateError).toBody()).not.toHaveProperty('cause');

    const prices = () => buildPriceIndex(fx.catalog, fx.priceIds);
    const dry = await reconcile({ tollgate: fx.tollgate, stripe: fx.stripe, prices, dryRun: true });
    expect(dry.changes.filter((change) => change.customerId === customer.id)).toHaveLength(1);
    expect(await fx.customer(customer.id)).toMatchObject({ plan: 'pro', stripeCustomerId });

    const report = await reconcile({ tollgate: fx.tollgate, stripe: fx.stripe, prices });
    const change = report.changes.find((candidate) => candidate.customerId === customer.id);
    expect(change?.fields).toMatchObject({
      stripeCustomerId: { from: stripeCustomerId, to: null },
      plan: { from: 'pro', to: 'free' },
    });
    expect(await fx.customer(customer.id)).toMatchObject({
      plan: 'free',
      stripeCustomerId: null,
      stripeSubscriptionId: null,
    });
    // A customer Stripe still knows is left alone.
    expect(await fx.customer(kept.id)).toMatchObject({ stripeCustomerId: keptStripe.id });
    expect(report.changes.some((candidate) => candidate.customerId === kept.id)).toBe(false);
  });
});
