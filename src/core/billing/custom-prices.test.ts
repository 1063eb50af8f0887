/** The negotiated-price rules without Stripe: validation, who is sold what, and up or down. */
import { describe, expect, it } from 'vitest';
import { sampleCustomer } from '../../../test/support/sample-customer.js';
import { demoCatalog } from '../catalog/demo-catalog.js';
import { type CustomerPrice, customerPriceIssues, withCustomerPrices } from './custom-prices.js';
import { type BillingState, planChange } from './plan-change.js';
import { buildPriceIndex, priceFor, type SubscriptionSnapshot } from './subscription-state.js';

const catalog = demoCatalog();
const catalogPrices = buildPriceIndex(catalog, {
  pro: { month: 'price_pro_m', year: 'price_pro_y' },
  enterprise: { month: 'price_ent_m', year: 'price_ent_y' },
});
const customer = sampleCustomer();
const negotiated = (overrides: Partial<CustomerPrice> = {}): CustomerPrice => ({
  id: 'cpr_1',
  customerId: customer.id,
  planId: 'enterprise',
  interval: 'month',
  amount: 200_000,
  currency: 'usd',
  stripePriceId: 'price_contract',
  reason: null,
  createdBy: 'admin:key_1',
  createdAt: 0,
  removedBy: null,
  removedAt: null,
  ...overrides,
});
const onPrice = (priceId: string): SubscriptionSnapshot => ({
  subscriptionId: 'sub_1',
  stripeCustomerId: 'cus_stripe',
  status: 'active',
  priceId,
  currentPeriodStart: 0,
  currentPeriodEnd: 1,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  created: 0,
});
const state = (
  subscription: SubscriptionSnapshot | null,
  history: CustomerPrice[] = [negotiated()],
): BillingState => ({
  customer,
  subscription,
  catalog,
  prices: withCustomerPrices(catalogPrices, history),
  customerPrices: history.filter((price) => price.removedAt === null),
});

describe('negotiated prices', () => {
  it('refuses an unknown or free plan, an interval not sold, an amount that is not whole minor units', () => {
    const paths = (input: { planId: string; interval: string; amount: unknown }) =>
      customerPriceIssues(catalog, input).map((issue) => issue.path);
    expect(paths({ planId: 'enterprise', interval: 'month', amount: 0 })).toEqual([]);
    expect(paths({ planId: 'platinum', interval: 'month', amount: 1 })).toEqual(['plan']);
    expect(paths({ planId: 'free', interval: 'month', amount: 1 })).toEqual(['plan']);
    expect(paths({ planId: 'pro', interval: 'week', amount: 1 })).toEqual(['interval']);
    for (const amount of [-1, 1.5, '100', Number.MAX_SAFE_INTEGER + 1])
      expect(paths({ planId: 'pro', interval: 'year', amount })).toEqual(['amount']);
  });

  it('sells the customer its price on subscribe and Checkout; the catalog price stays for everyone else', () => {
    const intent = {
      kind: 'subscribe',
      planId: 'enterprise',
      paymentMethodId: 'pm_1',
      trial: false,
    } as const;
    expect(planChange(state(null), { ...intent, defaultTrialDays: 0 })).toMatchObject({
      kind: 'create_subscription',
      priceId: 'price_contract',
    });
    expect(planChange(state(null), { kind: 'checkout', planId: 'enterprise' })).toMatchObject({
      priceId: 'price_contract',
    });
    // The yearly interval has no negotiated price: the catalog's.
    expect(
      planChange(state(null), { kind: 'checkout', planId: 'enterprise', interval: 'year' }),
    ).toMatchObject({
      priceId: 'price_ent_y',
    });
    // Another customer's price is in the index (its subscriptions are recognised) but never sold.
    expect(priceFor(withCustomerPrices(catalogPrices, [negotiated()]), 'enterprise', 'month')).toBe(
      'price_ent_m',
    );
    expect(planChange(state(null, []), { kind: 'checkout', planId: 'enterprise' })).toMatchObject({
      priceId: 'price_ent_m',
    });
  });

  it('tells up from down by the negotiated amounts', () => {
    // pro $29 -> negotiated enterprise $2,000: an upgrade, invoiced now.
    expect(planChange(state(onPrice('price_pro_m')), { kind: 'change', planId: 'enterprise' })).toMatchObject(
      {
        kind: 'change_price',
        priceId: 'price_contract',
        direction: 'upgrade',
        proration: 'always_invoice',
      },
    );
    // A negotiated enterprise below pro's yearly figure: moving from pro to it is a downgrade.
    const cheap = [negotiated({ amount: 1_000 })];
    expect(
      planChange(state(onPrice('price_pro_m'), cheap), { kind: 'change', planId: 'enterprise' }),
    ).toMatchObject({ direction: 'downgrade', proration: 'create_prorations' });
    // From the negotiated price down to pro, counted at what the customer pays now.
    expect(planChange(state(onPrice('price_contract')), { kind: 'change', planId: 'pro' })).toMatchObject({
      kind: 'change_price',
      priceId: 'price_pro_m',
      direction: 'downgrade',
    });
  });

  it('moves between the catalog and the negotiated price of the same plan; nothing when already on it', () => {
    expect(planChange(state(onPrice('price_ent_m')), { kind: 'change', planId: 'enterprise' })).toMatchObject(
      {
        kind: 'change_price',
        priceId: 'price_contract',
        direction: 'upgrade',
      },
    );
    expect(
      planChange(state(onPrice('price_contract')), { kind: 'change', planId: 'enterprise' }),
    ).toMatchObject({
      kind: 'nothing',
    });
    // Replaced: the subscription on the old negotiated price moves to the new one when changed.
    const replaced = [
      negotiated({ removedAt: 5, removedBy: 'cli' }),
      negotiated({ id: 'cpr_2', stripePriceId: 'price_contract_2', amount: 150_000 }),
    ];
    expect(
      planChange(state(onPrice('price_contract'), replaced), { kind: 'change', planId: 'enterprise' }),
    ).toMatchObject({ kind: 'change_price', priceId: 'price_contract_2', direction: 'downgrade' });
    // Removed: back to the catalog price on a change (the subscription is known as enterprise).
    expect(
      planChange(state(onPrice('price_contract'), [negotiated({ removedAt: 5 })]), {
        kind: 'change',
        planId: 'enterprise',
      }),
    ).toMatchObject({ kind: 'change_price', priceId: 'price_ent_m', direction: 'downgrade' });
  });
});
