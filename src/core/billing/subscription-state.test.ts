import { describe, expect, it } from 'vitest';
import { sampleCustomer } from '../../../test/support/sample-customer.js';
import { testCatalog } from '../../../test/support/test-catalog.js';
import {
  buildPriceIndex,
  customerSubscriptionPatch,
  effectiveSubscription,
  paymentFailedPatch,
  paymentSucceededPatch,
  priceFor,
  type SubscriptionSnapshot,
  subscriptionPatch,
} from './subscription-state.js';

const catalog = testCatalog();
const prices = buildPriceIndex(catalog, { pro: { month: 'price_pro_m', year: 'price_pro_y' } });
const customer = sampleCustomer();
const snapshot = (overrides: Partial<SubscriptionSnapshot>): SubscriptionSnapshot => ({
  subscriptionId: 'sub_1',
  stripeCustomerId: 'cus_stripe',
  status: 'active',
  priceId: 'price_pro_m',
  currentPeriodStart: 1000,
  currentPeriodEnd: 2000,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  created: 500,
  ...overrides,
});

describe('subscription state', () => {
  it('finds the plan and interval of a price, and the price of a plan', () => {
    expect(prices.get('price_pro_y')).toEqual({ planId: 'pro', interval: 'year' });
    expect(priceFor(prices, 'pro', 'month')).toBe('price_pro_m');
    expect(priceFor(prices, 'free', 'month')).toBeUndefined();
  });

  it('puts a trialing subscription on its plan with the trial end and Stripe period', () => {
    const { patch } = subscriptionPatch(
      customer,
      snapshot({ status: 'trialing', trialEnd: 1500 }),
      prices,
      catalog,
      5,
    );
    expect(patch).toMatchObject({
      plan: 'pro',
      billingInterval: 'month',
      status: 'trialing',
      trialEnd: 1500,
      periodStart: 1000,
    });
  });

  it('keeps the first failure time across past_due snapshots, and active clears it', () => {
    const first = subscriptionPatch(customer, snapshot({ status: 'past_due' }), prices, catalog, 777).patch;
    expect(first).toMatchObject({ status: 'past_due', paymentFailedAt: 777 });
    const later = subscriptionPatch(
      { ...customer, paymentFailedAt: 777 },
      snapshot({ status: 'past_due' }),
      prices,
      catalog,
      999,
    );
    expect(later.patch.paymentFailedAt).toBe(777);
    const paid = subscriptionPatch(
      { ...customer, paymentFailedAt: 777 },
      snapshot({}),
      prices,
      catalog,
      1000,
    );
    expect(paid.patch).toMatchObject({ status: 'active', paymentFailedAt: null });
  });

  it('suspends unpaid subscriptions and sends canceled ones back to the free plan', () => {
    expect(subscriptionPatch(customer, snapshot({ status: 'unpaid' }), prices, catalog, 1).patch.status).toBe(
      'suspended',
    );
    const canceled = subscriptionPatch(
      { ...customer, plan: 'pro' },
      snapshot({ status: 'canceled' }),
      prices,
      catalog,
      1,
    );
    expect(canceled.patch).toMatchObject({
      plan: 'free',
      status: 'canceled',
      stripeSubscriptionId: null,
      periodStart: null,
    });
  });

  it('leaves the plan alone for an unknown price and for an incomplete subscription', () => {
    const unknown = subscriptionPatch(customer, snapshot({ priceId: 'price_other' }), prices, catalog, 1);
    expect(unknown.unknownPrice).toBe(true);
    expect(unknown.patch.plan).toBeUndefined();
    expect(subscriptionPatch(customer, snapshot({ status: 'incomplete' }), prices, catalog, 1).patch).toEqual(
      {
        stripeSubscriptionId: 'sub_1',
      },
    );
  });

  it('moves through dunning: failure starts grace once, payment ends it', () => {
    const failed = paymentFailedPatch({ ...customer, status: 'active', plan: 'pro' }, 50);
    expect(failed).toEqual({ status: 'past_due', paymentFailedAt: 50 });
    expect(
      paymentFailedPatch({ ...customer, status: 'past_due', paymentFailedAt: 50 }, 90).paymentFailedAt,
    ).toBe(50);
    expect(paymentSucceededPatch({ ...customer, status: 'suspended', paymentFailedAt: 50 })).toEqual({
      status: 'active',
      paymentFailedAt: null,
    });
    expect(paymentSucceededPatch(customer)).toEqual({});
  });

  it('picks the subscription that speaks for a customer by status, then the newest, whatever the order', () => {
    const old = snapshot({ subscriptionId: 'sub_old', status: 'canceled', created: 100 });
    const current = snapshot({ subscriptionId: 'sub_new', status: 'active', created: 200 });
    const unpaid = snapshot({ subscriptionId: 'sub_unpaid', status: 'unpaid', created: 300 });
    const attempt = snapshot({ subscriptionId: 'sub_attempt', status: 'incomplete', created: 400 });
    const all = [old, current, unpaid, attempt];
    expect(effectiveSubscription(all)?.subscriptionId).toBe('sub_new');
    expect(effectiveSubscription([...all].reverse())?.subscriptionId).toBe('sub_new');
    expect(effectiveSubscription([old, unpaid, attempt])?.subscriptionId).toBe('sub_unpaid');
    const newer = snapshot({ subscriptionId: 'sub_newer', status: 'trialing', created: 250 });
    expect(effectiveSubscription([current, newer])?.subscriptionId).toBe('sub_newer');
    expect(effectiveSubscription([newer, current])?.subscriptionId).toBe('sub_newer');
    const twin = snapshot({ subscriptionId: 'sub_twin', status: 'active', created: 200 });
    expect(effectiveSubscription([current, twin])?.subscriptionId).toBe('sub_twin');
    expect(effectiveSubscription([twin, current])?.subscriptionId).toBe('sub_twin');
    expect(effectiveSubscription([])).toBeUndefined();
  });

  it("keeps the live subscription's plan when an older one ended, and drops to free when all ended", () => {
    const onStarter = { ...customer, plan: 'starter', stripeSubscriptionId: 'sub_old' };
    const old = snapshot({ subscriptionId: 'sub_old', status: 'canceled', created: 100 });
    const current = snapshot({ subscriptionId: 'sub_new', status: 'active', created: 200 });
    expect(customerSubscriptionPatch(onStarter, [old, current], prices, catalog, 1).patch).toMatchObject({
      plan: 'pro',
      status: 'active',
      stripeSubscriptionId: 'sub_new',
    });
    expect(customerSubscriptionPatch(onStarter, [old], prices, catalog, 1).patch).toMatchObject({
      plan: 'free',
      status: 'canceled',
      stripeSubscriptionId: null,
    });
    const attempt = snapshot({ subscriptionId: 'sub_attempt', status: 'incomplete', created: 300 });
    expect(customerSubscriptionPatch(onStarter, [old, attempt], prices, catalog, 1).patch).toMatchObject({
      plan: 'free',
      status: 'canceled',
      stripeSubscriptionId: 'sub_attempt',
    });
    expect(customerSubscriptionPatch(onStarter, [], prices, catalog, 1).patch).toEqual({});
  });
});
