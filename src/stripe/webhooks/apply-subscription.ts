/**
 * Applying what Stripe says about a subscription to its customer, shared by the subscription,
 * Checkout and invoice handlers. The change itself is the core's `subscriptionPatch`; this file only
 * decides whether a subscription speaks for the customer at all.
 */
import type Stripe from 'stripe';
import { subscriptionPatch } from '../../core/billing/subscription-state.js';
import type { Customer } from '../../core/ports.js';
import { subscriptionSnapshot } from '../gateway/subscription-snapshot.js';
import type { HandlerContext } from './webhook-context.js';

const ended = new Set(['canceled', 'incomplete_expired']);

/**
 * Whether a subscription may change this customer: it is the customer's current one, or the customer
 * has none, or it is a live one replacing it. A late event about an old, ended subscription must not
 * send a customer who has since subscribed again back to the free tier.
 */
export function speaksFor(customer: Customer, subscription: Stripe.Subscription): boolean {
  if (customer.stripeSubscriptionId === null || customer.stripeSubscriptionId === subscription.id)
    return true;
  return !ended.has(subscription.status);
}

/**
 * Applies the subscription to the customer; the event's time stands for "now", so the first failure
 * seen starts grace at the same moment in every delivery order.
 */
export async function applySubscription(
  context: HandlerContext,
  customer: Customer,
  subscription: Stripe.Subscription,
): Promise<Customer> {
  if (!speaksFor(customer, subscription)) return customer;
  const prices = await context.deps.prices();
  const snapshot = subscriptionSnapshot(subscription);
  const { patch, unknownPrice } = subscriptionPatch(
    customer,
    snapshot,
    prices,
    context.catalog,
    context.created,
  );
  if (unknownPrice) {
    await context.audit('subscription.unknown_price', customer.id, {
      subscriptionId: subscription.id,
      priceId: snapshot.priceId,
    });
  }
  return context.update(customer, patch);
}
