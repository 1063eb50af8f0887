/**
 * A Stripe subscription object, as the `SubscriptionSnapshot` the core reasons about. Webhook handlers,
 * API answers and reconciliation all go through this one function, then `subscriptionPatch`, so they
 * read Stripe the same way. Since API version 2025-03-31.basil the billing period lives on the items;
 * the plan is the licensed item (a metered overage item may sit beside it).
 */
import type Stripe from 'stripe';
import type {
  StripeSubscriptionStatus,
  SubscriptionSnapshot,
} from '../../core/billing/subscription-state.js';
import type { BillingInterval } from '../../core/ports.js';

const seconds = (value: number | null | undefined): number | null =>
  value === null || value === undefined ? null : value * 1000;

/** The subscription's licensed item: the one that carries the plan's price. */
export function licensedItem(subscription: Stripe.Subscription): Stripe.SubscriptionItem | undefined {
  const items = subscription.items.data;
  return items.find((item) => item.price.recurring?.usage_type !== 'metered') ?? items[0];
}

/** The subscription's metered items (the overage item, when the plan has overage); never the plan item. */
export function meteredItems(subscription: Stripe.Subscription): Stripe.SubscriptionItem[] {
  return subscription.items.data.filter((item) => item.price.recurring?.usage_type === 'metered');
}

const intervalOf = (interval: string | undefined): BillingInterval | null =>
  interval === 'month' || interval === 'year' ? interval : null;

export function subscriptionSnapshot(subscription: Stripe.Subscription): SubscriptionSnapshot {
  const item = licensedItem(subscription);
  const customer = subscription.customer;
  return {
    subscriptionId: subscription.id,
    stripeCustomerId: typeof customer === 'string' ? customer : customer.id,
    status: subscription.status as StripeSubscriptionStatus,
    priceId: item?.price.id ?? null,
    currentPeriodStart: seconds(item?.current_period_start),
    currentPeriodEnd: seconds(item?.current_period_end),
    trialEnd: seconds(subscription.trial_end),
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    // Always set by Stripe; a hand-made event without it sorts as the oldest.
    created: (subscription.created ?? 0) * 1000,
    priceAmount: item?.price.unit_amount == null ? null : item.price.unit_amount * (item.quantity ?? 1),
    priceInterval: intervalOf(item?.price.recurring?.interval),
  };
}
