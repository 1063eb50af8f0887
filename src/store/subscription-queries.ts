/**
 * The subscription mirror (migration 005), written once with Kysely for both databases. A write never
 * replaces a state read from Stripe later than its own (`stripe_updated_at`), so each subscription is
 * protected from its own late events; the customer's plan is then derived from all of them.
 */
import type { Kysely } from 'kysely';
import type { StripeSubscriptionStatus, SubscriptionRecord } from '../core/billing/subscription-state.js';
import type { BillingInterval, Store } from '../core/ports.js';
import type { SubscriptionsTable } from './billing-event-tables.js';
import type { Database } from './database.js';

export type SubscriptionQueries = Pick<
  Store,
  'upsertSubscription' | 'getSubscription' | 'listSubscriptions' | 'getSubscriptions'
>;

export const subscriptionFromRow = (row: SubscriptionsTable): SubscriptionRecord => ({
  subscriptionId: row.id,
  stripeCustomerId: row.stripe_customer_id,
  status: row.status as StripeSubscriptionStatus,
  priceId: row.price_id,
  currentPeriodStart: row.current_period_start,
  currentPeriodEnd: row.current_period_end,
  trialEnd: row.trial_end,
  cancelAtPeriodEnd: row.cancel_at_period_end === 1,
  created: row.created,
  stripeUpdatedAt: row.stripe_updated_at,
  // Absent rather than null when unknown, as a snapshot made without them.
  ...(row.price_amount === null ? {} : { priceAmount: row.price_amount }),
  ...(row.price_interval === null ? {} : { priceInterval: row.price_interval as BillingInterval }),
});

export const subscriptionToRow = (subscription: SubscriptionRecord): SubscriptionsTable => ({
  id: subscription.subscriptionId,
  stripe_customer_id: subscription.stripeCustomerId,
  status: subscription.status,
  price_id: subscription.priceId,
  current_period_start: subscription.currentPeriodStart,
  current_period_end: subscription.currentPeriodEnd,
  trial_end: subscription.trialEnd,
  cancel_at_period_end: subscription.cancelAtPeriodEnd ? 1 : 0,
  created: subscription.created,
  stripe_updated_at: subscription.stripeUpdatedAt,
  price_amount: subscription.priceAmount ?? null,
  price_interval: subscription.priceInterval ?? null,
});

export function createSubscriptionQueries(db: Kysely<Database>): SubscriptionQueries {
  return {
    async upsertSubscription(subscription) {
      const row = subscriptionToRow(subscription);
      const { id: _id, ...changes } = row;
      await db
        .insertInto('subscriptions')
        .values(row)
        .onConflict((conflict) =>
          conflict
            .column('id')
            .doUpdateSet(changes)
            // A late write (an older event) leaves a newer mirror as it is.
            .where('subscriptions.stripe_updated_at', '<=', subscription.stripeUpdatedAt),
        )
        .execute();
    },

    async getSubscription(id) {
      const row = await db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && subscriptionFromRow(row);
    },

    async getSubscriptions(ids) {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('id', 'in', [...ids])
        .execute();
      return rows.map(subscriptionFromRow);
    },

    async listSubscriptions(stripeCustomerId) {
      const rows = await db
        .selectFrom('subscriptions')
        .selectAll()
        .where('stripe_customer_id', '=', stripeCustomerId)
        .orderBy('created')
        .orderBy('id')
        .execute();
      return rows.map(subscriptionFromRow);
    },
  };
}
