/** Counting subscriptions by plan (the `stripe_subscriptions_total` metric). */
import { describe, expect, it } from 'vitest';
import { type ContractContext, T0, unique } from './contract-context.js';

export function describeSubscriptionCountCases(context: ContractContext): void {
  describe('subscription counts', () => {
    it('counts customers with a subscription that is not canceled, by plan', async () => {
      // Plans of this test only: the suite's store is shared with other cases.
      const pro = unique('plan');
      const starter = unique('plan');
      const subscribe = async (plan: string, subscription: string | null, status = 'active' as const) => {
        const customer = await context.newCustomer({ plan });
        await context.store.updateCustomer(customer.id, {
          stripeSubscriptionId: subscription,
          status,
          updatedAt: T0 + 1,
        });
      };
      await subscribe(pro, unique('sub'));
      await subscribe(pro, unique('sub'));
      await subscribe(starter, unique('sub'));
      await subscribe(starter, null);
      const canceled = await context.newCustomer({ plan: starter });
      await context.store.updateCustomer(canceled.id, {
        stripeSubscriptionId: unique('sub'),
        status: 'canceled',
        updatedAt: T0 + 1,
      });

      const counts = await context.store.countSubscriptionsByPlan();
      expect(counts[pro]).toBe(2);
      expect(counts[starter]).toBe(1);
      expect(typeof counts[pro]).toBe('number');
    });
  });
}
