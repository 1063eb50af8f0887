/** The subscription mirror: one row per Stripe subscription, never replaced by an older read. */
import { describe, expect, it } from 'vitest';
import type { SubscriptionRecord } from '../../core/billing/subscription-state.js';
import { type ContractContext, T0, unique } from './contract-context.js';

const subscription = (overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
  subscriptionId: unique('sub'),
  stripeCustomerId: 'cus_stripe',
  status: 'active',
  priceId: 'price_pro',
  currentPeriodStart: T0,
  currentPeriodEnd: T0 + 30 * 86_400_000,
  trialEnd: null,
  cancelAtPeriodEnd: false,
  created: T0,
  stripeUpdatedAt: T0,
  ...overrides,
});

export function describeSubscriptionCases(context: ContractContext): void {
  describe('subscription mirror', () => {
    it('upserts a subscription and never lets an older read replace a newer one', async () => {
      const created = subscription({ stripeUpdatedAt: T0 + 10 });
      await context.store.upsertSubscription(created);
      expect(await context.store.getSubscription(created.subscriptionId)).toEqual(created);

      const ending = { ...created, cancelAtPeriodEnd: true, stripeUpdatedAt: T0 + 20 };
      await context.store.upsertSubscription(ending);
      await context.store.upsertSubscription({ ...created, stripeUpdatedAt: T0 + 15 });
      expect(await context.store.getSubscription(created.subscriptionId)).toEqual(ending);
      // A read of the same Stripe time (a fresh read on a tie) replaces it.
      const canceled = { ...ending, status: 'canceled' as const, stripeUpdatedAt: T0 + 20 };
      await context.store.upsertSubscription(canceled);
      expect(await context.store.getSubscription(created.subscriptionId)).toEqual(canceled);
      expect(await context.store.getSubscription(unique('sub'))).toBeUndefined();
    });

    it('lists every subscription of one Stripe customer, any status, oldest first', async () => {
      const stripeCustomerId = unique('cus');
      const old = subscription({ stripeCustomerId, status: 'canceled', created: T0 });
      const current = subscription({ stripeCustomerId, created: T0 + 1000, trialEnd: T0 + 5000 });
      await context.store.upsertSubscription(current);
      await context.store.upsertSubscription(old);
      await context.store.upsertSubscription(subscription({ stripeCustomerId: unique('cus') }));
      expect(await context.store.listSubscriptions(stripeCustomerId)).toEqual([old, current]);
      expect(await context.store.listSubscriptions(unique('cus'))).toEqual([]);
    });

    it('keeps what the plan item bills, and reads several subscriptions by id', async () => {
      const priced = subscription({ priceAmount: 200_000, priceInterval: 'month' });
      const unknown = subscription();
      await context.store.upsertSubscription(priced);
      await context.store.upsertSubscription(unknown);
      const read = await context.store.getSubscriptions([
        priced.subscriptionId,
        unknown.subscriptionId,
        'sub_none',
      ]);
      expect(read).toHaveLength(2);
      expect(read.find((row) => row.subscriptionId === priced.subscriptionId)).toEqual(priced);
      // Unknown amounts read back absent, as a snapshot without them.
      expect(read.find((row) => row.subscriptionId === unknown.subscriptionId)).toEqual(unknown);
      expect(await context.store.getSubscriptions([])).toEqual([]);
    });
  });
}
