/**
 * customer.subscription.*: the subscription's state is applied to its customer (plan, status, period,
 * trial, scheduled cancellation), whichever event carried it; `trial_will_end` also tells the customer
 * that the trial ends soon (Stripe sends it three days before).
 */
import type Stripe from 'stripe';
import { applySubscription } from '../apply-subscription.js';
import { idOf } from '../stripe-snapshots.js';
import {
  type HandlerContext,
  type HandlerResult,
  TOLLGATE_CUSTOMER_KEY,
  type WebhookHandler,
} from '../webhook-context.js';

export const subscriptionHandler: WebhookHandler = {
  types: [
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.subscription.paused',
    'customer.subscription.resumed',
    'customer.subscription.trial_will_end',
  ],

  async handle(context: HandlerContext): Promise<HandlerResult> {
    const sent = context.event.data.object as Stripe.Subscription;
    const customer = await context.customerFor(idOf(sent.customer), sent.metadata?.[TOLLGATE_CUSTOMER_KEY]);
    if (!customer) return 'ignored';

    if (context.event.type === 'customer.subscription.trial_will_end' && sent.trial_end !== null) {
      context.notify('trial_ending', customer.id, {
        subscriptionId: sent.id,
        trialEnd: sent.trial_end * 1000,
        hasPaymentMethod: sent.default_payment_method !== null,
      });
    }
    // The customer already holds this subscription: a billing call applied Stripe's answer, which may be
    // newer than this event.
    const subscription = await context.current(
      sent,
      () => context.deps.stripe.subscriptions.retrieve(sent.id),
      { rereadUnseen: customer.stripeSubscriptionId === sent.id },
    );
    if (!subscription) return 'ignored';
    await applySubscription(context, customer, subscription);
    await context.applied(subscription.id);
    return 'applied';
  },
};
