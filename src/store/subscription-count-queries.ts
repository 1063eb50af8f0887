/**
 * Subscriptions by plan in one grouped query, for the `stripe_subscriptions_total` gauge read at every
 * Prometheus scrape: paging through customers would cost a round trip per thousand of them.
 */
import type { Kysely } from 'kysely';
import type { Store } from '../core/ports.js';
import type { Database } from './database.js';

export type SubscriptionCountQueries = Pick<Store, 'countSubscriptionsByPlan'>;

export function createSubscriptionCountQueries(db: Kysely<Database>): SubscriptionCountQueries {
  return {
    async countSubscriptionsByPlan() {
      const rows = await db
        .selectFrom('customers')
        .select(['plan', (eb) => eb.fn.countAll<number | string>().as('count')])
        .where('stripe_subscription_id', 'is not', null)
        .where('status', '!=', 'canceled')
        .groupBy('plan')
        .execute();
      // PostgreSQL's count() is a bigint, which pg returns as a string.
      return Object.fromEntries(rows.map((row) => [row.plan, Number(row.count)]));
    },
  };
}
