/**
 * checkout.session.completed: the Checkout Session names the Tollgate customer (`client_reference_id`,
 * else metadata `tollgate_customer_id`); its Stripe customer is linked to it and its subscription, read
 * from Stripe (the session carries only the id), is applied at once, before its own events arrive.
 * The audit entry (actor `stripe`) records the plan and status on either side and what was paid.
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

export const checkoutHandler: WebhookHandler = {
  types: ['checkout.session.completed'],

  async handle(context: HandlerContext): Promise<HandlerResult> {
    const session = context.event.data.object as Stripe.Checkout.Session;
    const named = session.client_reference_id ?? session.metadata?.[TOLLGATE_CUSTOMER_KEY] ?? null;
    const customer = await context.customerFor(idOf(session.customer), named);
    if (!customer) return 'ignored';
    const subscriptionId = idOf(session.subscription);
    if (subscriptionId) {
      const subscription = await context.deps.stripe.subscriptions.retrieve(subscriptionId);
      const after = await applySubscription(context, customer, subscription);
      await context.audit('checkout.completed', customer.id, {
        sessionId: session.id,
        subscriptionId,
        fromPlan: customer.plan,
        toPlan: after.plan,
        fromStatus: customer.status,
        toStatus: after.status,
        ...(session.payment_status === 'paid' && session.amount_total !== null
          ? { amountCharged: session.amount_total, currency: session.currency }
          : {}),
      });
    }
    return 'applied';
  },
};
