/** A customer record for pure tests: on the free plan, linked to a Stripe customer, no subscription. */
import type { Customer } from '../../src/core/ports.js';

export function sampleCustomer(overrides: Partial<Customer> = {}): Customer {
  return {
    id: 'cus_1',
    externalId: null,
    email: null,
    name: null,
    plan: 'free',
    status: 'active',
    billingInterval: null,
    stripeCustomerId: 'cus_stripe',
    stripeSubscriptionId: null,
    periodStart: null,
    periodEnd: null,
    trialEnd: null,
    paymentFailedAt: null,
    cancelAtPeriodEnd: false,
    storageBytes: 0,
    storageItems: 0,
    metadata: {},
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}
