/**
 * payment_method.attached / detached: recorded in the audit log for the admin console. Nothing else
 * changes: a past-due account recovers when Stripe's retry (or the customer on the hosted invoice)
 * pays, and that arrives as invoice.paid.
 */
import type Stripe from 'stripe';
import { idOf } from '../stripe-snapshots.js';
import type { HandlerContext, HandlerResult, WebhookHandler } from '../webhook-context.js';

export const paymentMethodHandler: WebhookHandler = {
  types: ['payment_method.attached', 'payment_method.detached'],

  async handle(context: HandlerContext): Promise<HandlerResult> {
    const method = context.event.data.object as Stripe.PaymentMethod;
    // A detached method has no customer any more; the previous one is in previous_attributes.
    const previous = context.event.data.previous_attributes as { customer?: string | null } | undefined;
    const stripeCustomerId = idOf(method.customer) ?? previous?.customer ?? null;
    if (!stripeCustomerId) return 'ignored';
    const customer = await context.store.getCustomerByStripeId(stripeCustomerId);
    if (!customer) return 'ignored';
    await context.audit(context.event.type, customer.id, {
      paymentMethodId: method.id,
      brand: method.card?.brand ?? null,
      last4: method.card?.last4 ?? null,
    });
    return 'applied';
  },
};
