/** What one customer adds to MRR: the amount its subscription bills, else its plan's catalog price. */
import { describe, expect, it } from 'vitest';
import { sampleCustomer } from '../../../test/support/sample-customer.js';
import { demoCatalog } from '../catalog/demo-catalog.js';
import { monthlyRevenue } from './revenue-report.js';
import type { SubscriptionRecord } from './subscription-state.js';

const catalog = demoCatalog();
const paying = sampleCustomer({
  plan: 'enterprise',
  stripeSubscriptionId: 'sub_1',
  billingInterval: 'month',
});
const mirrored = (overrides: Partial<SubscriptionRecord>): SubscriptionRecord => ({
  subscriptionId: 'sub_1',
  stripeCustomerId: 'cus_stripe',
  status: 'active',
  priceId: 'price_contract',
  currentPeriodStart: 0,
  currentPeriodEnd: 1,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  created: 0,
  stripeUpdatedAt: 0,
  ...overrides,
});

describe('monthlyRevenue', () => {
  it('counts the amount the subscription bills: a negotiated monthly or yearly price (yearly / 12, down)', () => {
    const monthly = mirrored({ priceAmount: 200_000, priceInterval: 'month' });
    expect(monthlyRevenue(paying, catalog, monthly)).toBe(200_000);
    const yearly = mirrored({ priceAmount: 2_000_005, priceInterval: 'year' });
    expect(monthlyRevenue({ ...paying, billingInterval: 'year' }, catalog, yearly)).toBe(166_667);
  });

  it("falls back to the plan's catalog price when the mirror does not know the amount", () => {
    expect(monthlyRevenue(paying, catalog, mirrored({}))).toBe(49_900);
    expect(monthlyRevenue(paying, catalog)).toBe(49_900);
  });

  it('counts nothing for a customer that is not paying', () => {
    const billed = mirrored({ priceAmount: 200_000, priceInterval: 'month' });
    expect(monthlyRevenue({ ...paying, status: 'trialing' }, catalog, billed)).toBe(0);
    expect(monthlyRevenue({ ...paying, stripeSubscriptionId: null }, catalog, billed)).toBe(0);
  });
});
