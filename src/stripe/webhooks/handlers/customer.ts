/**
 * customer.created / updated: a Stripe customer whose metadata names a Tollgate customer is linked to
 * it (customers created in the Dashboard or by another flow find their account). customer.deleted:
 * its subscriptions are gone with it, so the account falls back to the free tier and is unlinked.
 */

import type Stripe from 'stripe';
import { freeTier } from '../../../core/billing/subscription-state.js';
import {
  type HandlerContext,
  type HandlerResult,
  TOLLGATE_CUSTOMER_KEY,
  type WebhookHandler,
} from '../webhook-context.js';

export const customerHandler: WebhookHandler = {
  types: ['customer.created', 'customer.updated', 'customer.deleted'],

  async handle(context: HandlerContext): Promise<HandlerResult> {
    const sent = context.event.data.object as Stripe.Customer;
    const named = sent.metadata?.[TOLLGATE_CUSTOMER_KEY] ?? null;
    if (context.event.type !== 'customer.deleted') {
      const customer = await context.customerFor(sent.id, named);
      return customer ? 'applied' : 'ignored';
    }
    const customer = await context.store.getCustomerByStripeId(sent.id);
    if (!customer) return 'ignored';
    await context.update(
      customer,
      // The Stripe customer is gone: free tier, and no link left to it.
      { ...freeTier(context.catalog, null, 'canceled'), stripeCustomerId: null },
      'customer.unlinked',
    );
    await context.applied(sent.id);
    return 'applied';
  },
};
