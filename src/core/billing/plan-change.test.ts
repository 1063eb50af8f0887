import { describe, expect, it } from 'vitest';
import { sampleCustomer } from '../../../test/support/sample-customer.js';
import { demoCatalog } from '../catalog/demo-catalog.js';
import type { Customer } from '../ports.js';
import { billingStateVersion, idempotencyKeys, stateToken } from './idempotency-keys.js';
import { type BillingState, planChange } from './plan-change.js';
import { buildPriceIndex, type SubscriptionSnapshot } from './subscription-state.js';

const catalog = demoCatalog();
const prices = buildPriceIndex(catalog, {
  starter: { month: 'price_starter_m', year: 'price_starter_y' },
  pro: { month: 'price_pro_m', year: 'price_pro_y' },
  enterprise: { month: 'price_ent_m' },
});
const customer = sampleCustomer();
const subscription = (overrides: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
  subscriptionId: 'sub_1',
  stripeCustomerId: 'cus_stripe',
  status: 'active',
  priceId: 'price_pro_m',
  currentPeriodStart: 0,
  currentPeriodEnd: 1,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  created: 0,
  ...overrides,
});
const state = (snapshot: SubscriptionSnapshot | null = null): BillingState => ({
  customer,
  subscription: snapshot,
  catalog,
  prices,
});

describe('planChange', () => {
  it('subscribes without a card to a trial of the plan, or of STRIPE_TRIAL_PERIOD_DAYS', () => {
    expect(planChange(state(), { kind: 'subscribe', planId: 'pro', defaultTrialDays: 7 })).toEqual({
      kind: 'create_subscription',
      planId: 'pro',
      interval: 'month',
      priceId: 'price_pro_m',
      overagePriceId: null,
      trialDays: 14,
      paymentMethodId: null,
      replaces: null,
    });
    expect(
      planChange(state(), { kind: 'subscribe', planId: 'enterprise', defaultTrialDays: 7 }),
    ).toMatchObject({
      trialDays: 7,
    });
    expect(
      planChange(state(), { kind: 'subscribe', planId: 'enterprise', defaultTrialDays: 0 }),
    ).toMatchObject({
      kind: 'refuse',
      path: 'payment_method_id',
    });
  });

  it("starts the plan's trial with a card too; trial: false charges the card at once", () => {
    const withCard = {
      kind: 'subscribe',
      planId: 'pro',
      interval: 'year',
      paymentMethodId: 'pm_card_visa',
      defaultTrialDays: 7,
    } as const;
    expect(planChange(state(), withCard)).toMatchObject({
      kind: 'create_subscription',
      priceId: 'price_pro_y',
      trialDays: 14,
      paymentMethodId: 'pm_card_visa',
    });
    expect(planChange(state(), { ...withCard, trial: false })).toMatchObject({
      kind: 'create_subscription',
      trialDays: 0,
      paymentMethodId: 'pm_card_visa',
    });
    // Without a card there is nothing to charge at once.
    expect(
      planChange(state(), { kind: 'subscribe', planId: 'pro', trial: false, defaultTrialDays: 7 }),
    ).toMatchObject({ kind: 'refuse', code: 'invalid_request', path: 'payment_method_id' });
  });

  it('gives one trial per customer, card or not: after one, a card (charged at once) or Checkout', () => {
    const used = { ...state(), trialUsed: true };
    expect(planChange(used, { kind: 'subscribe', planId: 'pro', defaultTrialDays: 7 })).toMatchObject({
      kind: 'refuse',
      code: 'conflict',
      message: expect.stringContaining('trial was used'),
    });
    expect(
      planChange(used, {
        kind: 'subscribe',
        planId: 'pro',
        paymentMethodId: 'pm_card_visa',
        defaultTrialDays: 7,
      }),
    ).toMatchObject({ kind: 'create_subscription', trialDays: 0 });
    expect(planChange(used, { kind: 'checkout', planId: 'pro' })).toMatchObject({ kind: 'start_checkout' });
  });

  it('refuses a second live subscription, the default plan, unknown plans and unsold intervals', () => {
    const intent = { kind: 'subscribe', planId: 'pro', defaultTrialDays: 14 } as const;
    expect(planChange(state(subscription()), intent)).toMatchObject({ kind: 'refuse', code: 'conflict' });
    expect(planChange(state(), { ...intent, planId: 'free' })).toMatchObject({
      code: 'invalid_request',
      path: 'tier',
    });
    expect(planChange(state(), { ...intent, planId: 'gold' })).toMatchObject({ path: 'tier' });
    expect(planChange(state(), { ...intent, planId: 'enterprise', interval: 'year' })).toMatchObject({
      path: 'tier',
    });
    expect(planChange(state(), { kind: 'checkout', planId: 'pro' })).toMatchObject({
      kind: 'start_checkout',
    });
    expect(planChange(state(subscription()), { kind: 'checkout', planId: 'pro' })).toMatchObject({
      code: 'conflict',
    });
  });

  it('replaces a paused subscription instead of refusing', () => {
    expect(
      planChange(state(subscription({ status: 'paused' })), {
        kind: 'subscribe',
        planId: 'pro',
        paymentMethodId: 'pm_card_visa',
        defaultTrialDays: 14,
      }),
    ).toMatchObject({ kind: 'create_subscription', replaces: 'sub_1' });
  });

  it('upgrades with an immediate invoice and downgrades with a credit, comparing yearly amounts', () => {
    expect(planChange(state(subscription()), { kind: 'change', planId: 'enterprise' })).toMatchObject({
      kind: 'change_price',
      priceId: 'price_ent_m',
      direction: 'upgrade',
      proration: 'always_invoice',
    });
    expect(planChange(state(subscription()), { kind: 'change', planId: 'starter' })).toMatchObject({
      direction: 'downgrade',
      proration: 'create_prorations',
    });
    // Yearly pro (290) costs less a year than monthly pro (29 x 12): a downgrade by amount.
    expect(
      planChange(state(subscription()), { kind: 'change', planId: 'pro', interval: 'year' }),
    ).toMatchObject({
      priceId: 'price_pro_y',
      direction: 'downgrade',
    });
    expect(planChange(state(subscription()), { kind: 'change', planId: 'pro' })).toMatchObject({
      kind: 'nothing',
    });
    expect(planChange(state(subscription()), { kind: 'change', planId: 'free' })).toMatchObject({
      kind: 'refuse',
      path: 'new_tier',
    });
    expect(planChange(state(), { kind: 'change', planId: 'pro' })).toMatchObject({ code: 'conflict' });
  });

  it('cancels at the period end by default, at once when asked or when paused; resumes either', () => {
    const live = state(subscription());
    expect(planChange(live, { kind: 'cancel', immediate: false })).toEqual({
      kind: 'cancel_at_period_end',
      subscriptionId: 'sub_1',
    });
    expect(planChange(live, { kind: 'cancel', immediate: true })).toMatchObject({ kind: 'cancel_now' });
    const ending = state(subscription({ cancelAtPeriodEnd: true }));
    expect(planChange(ending, { kind: 'cancel', immediate: false })).toMatchObject({ kind: 'nothing' });
    expect(planChange(ending, { kind: 'resume' })).toMatchObject({ kind: 'undo_cancel' });
    expect(planChange(live, { kind: 'resume' })).toMatchObject({ kind: 'nothing' });
    const paused = state(subscription({ status: 'paused' }));
    expect(planChange(paused, { kind: 'cancel', immediate: false })).toMatchObject({ kind: 'cancel_now' });
    expect(planChange(paused, { kind: 'resume' })).toMatchObject({ kind: 'resume_paused' });
    expect(
      planChange(state(subscription({ status: 'canceled' })), { kind: 'cancel', immediate: false }),
    ).toMatchObject({
      code: 'conflict',
    });
  });
});

describe('planChange and the metered overage item', () => {
  const metered = (snapshot: SubscriptionSnapshot | null = null): BillingState => ({
    ...state(snapshot),
    overagePrice: (planId) => (planId === 'pro' ? 'price_pro_overage' : null),
  });

  it('gives monthly subscriptions to a plan with overage its metered price, yearly ones none', () => {
    const subscribe = { kind: 'subscribe', planId: 'pro', defaultTrialDays: 14 } as const;
    expect(planChange(metered(), subscribe)).toMatchObject({ overagePriceId: 'price_pro_overage' });
    expect(planChange(metered(), { ...subscribe, interval: 'year' })).toMatchObject({
      kind: 'create_subscription',
      overagePriceId: null,
    });
    expect(planChange(metered(), { ...subscribe, planId: 'starter' })).toMatchObject({
      overagePriceId: null,
    });
    expect(planChange(metered(), { kind: 'checkout', planId: 'pro' })).toMatchObject({
      kind: 'start_checkout',
      overagePriceId: 'price_pro_overage',
    });
    // Without a lookup (no metered price pushed or configured) nothing is added.
    expect(planChange(state(), subscribe)).toMatchObject({ overagePriceId: null });
  });

  it('sets the metered item to the new plan on a change: kept, added, or removed (null)', () => {
    const onStarter = subscription({ priceId: 'price_starter_m' });
    expect(planChange(metered(onStarter), { kind: 'change', planId: 'pro' })).toMatchObject({
      kind: 'change_price',
      direction: 'upgrade',
      overagePriceId: 'price_pro_overage',
    });
    expect(planChange(metered(subscription()), { kind: 'change', planId: 'starter' })).toMatchObject({
      direction: 'downgrade',
      overagePriceId: null,
    });
    expect(
      planChange(metered(subscription()), { kind: 'change', planId: 'pro', interval: 'year' }),
    ).toMatchObject({ priceId: 'price_pro_y', overagePriceId: null });
  });
});

describe('idempotency keys', () => {
  it('are the same for the same request on the same state, and change with the state', () => {
    const key = (c: Customer, client: string | null = null) =>
      idempotencyKeys.subscribe(c.id, 'pro', 'month', null, 14, stateToken(c, client));
    expect(key(customer)).toBe(key({ ...customer }));
    expect(key(customer)).toMatch(/^tollgate:subscribe:cus_1:pro:month:no-card:trial-14:s-[0-9a-f]{16}$/);
    // The same card with and without the trial are two requests.
    const token = stateToken(customer, null);
    expect(idempotencyKeys.subscribe(customer.id, 'pro', 'month', 'pm_1', 14, token)).not.toBe(
      idempotencyKeys.subscribe(customer.id, 'pro', 'month', 'pm_1', 0, token),
    );
    expect(key({ ...customer, updatedAt: 1 })).not.toBe(key(customer));
    expect(key({ ...customer, status: 'canceled' })).not.toBe(key(customer));
    expect(key(customer, 'abc')).toBe('tollgate:subscribe:cus_1:pro:month:no-card:trial-14:r-abc');
    expect(billingStateVersion({ ...customer, storageBytes: 5 })).toBe(billingStateVersion(customer));
  });
});
