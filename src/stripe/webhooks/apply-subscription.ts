/**
 * Applying what Stripe says about a subscription, shared by the subscription, Checkout and invoice
 * handlers: the subscription is mirrored (its own version, so its own late events cannot overwrite
 * it), then the customer is derived from ALL its Stripe customer's mirrored subscriptions with the
 * core's `customerSubscriptionPatch` (docs/decisions/008). Which subscription an event was about, or
 * the order events arrive in, never decides the plan: a late event of an old, ended subscription
 * cannot send a customer who has subscribed again back to the free tier.
 */
import type Stripe from 'stripe';
import { mirroredSubscriptions } from '../../core/billing/subscription-mirror.js';
import { customerSubscriptionPatch } from '../../core/billing/subscription-state.js';
import type { Customer } from '../../core/ports.js';
import { subscriptionSnapshot } from '../gateway/subscription-snapshot.js';
import type { HandlerContext } from './webhook-context.js';

/**
 * Mirrors the subscription as of this event and applies the customer's effective subscription; the
 * event's time stands for "now", so the first failure seen starts grace at the same moment in every
 * delivery order.
 */
export async function applySubscription(
  context: HandlerContext,
  customer: Customer,
  subscription: Stripe.Subscription,
): Promise<Customer> {
  const snapshot = subscriptionSnapshot(subscription);
  await context.store.upsertSubscription({ ...snapshot, stripeUpdatedAt: context.created });
  const subscriptions = await mirroredSubscriptions(
    context.store,
    customer,
    snapshot.stripeCustomerId,
    context.created,
    async (id) => {
      const found = await context.deps.stripe.subscriptions.retrieve(id).catch((error: unknown) => {
        // Gone from Stripe: nothing to mirror, the set decides without it.
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      });
      return found && subscriptionSnapshot(found);
    },
  );
  const prices = await context.deps.prices();
  const {
    patch,
    unknownPrice,
    subscription: effective,
  } = customerSubscriptionPatch(customer, subscriptions, prices, context.catalog, context.created);
  if (unknownPrice && effective) {
    await context.audit('subscription.unknown_price', customer.id, {
      subscriptionId: effective.subscriptionId,
      priceId: effective.priceId,
    });
  }
  return context.update(customer, patch);
}
