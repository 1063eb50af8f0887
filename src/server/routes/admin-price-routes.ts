/**
 * A customer's negotiated prices (docs/decisions/013-custom-prices.md), admin only: set one for a plan
 * and interval (creating its Stripe price once), list them (with history on request), remove one.
 * Every change is audited (`customer.price_set`, `customer.price_removed`) with the actor, the price
 * before and after, in the same transaction as the change. Served with the billing routes (Stripe).
 */
import { z } from 'zod';
import type { CustomerPrice } from '../../core/billing/custom-prices.js';
import type { BillingService } from '../../stripe/billing/billing-service.js';
import type { ApiRouter } from '../api-router.js';
import { isoTime, isoTimeSchema } from '../wire-format.js';
import { adminActor } from './admin-routes.js';

const idSchema = z.string().min(1).max(100);
const intervalSchema = z.enum(['month', 'year']).describe('Billing interval');
const planSchema = z.string().min(1).max(100).describe('A paid plan of the catalog');

export const customerPriceSchema = z.object({
  id: z.string(),
  customer_id: z.string(),
  plan: z.string(),
  interval: intervalSchema,
  amount: z.number().int().describe('Minor units per interval'),
  currency: z.string(),
  stripe_price_id: z.string(),
  reason: z.string().nullable(),
  created_by: z.string().describe('Who set it (`admin:<key id>`, `cli`)'),
  created_at: isoTimeSchema,
  active: z.boolean().describe('False once replaced or removed (history)'),
  removed_by: z.string().nullable(),
  removed_at: isoTimeSchema.nullable(),
});

export const customerPriceView = (price: CustomerPrice): z.input<typeof customerPriceSchema> => ({
  id: price.id,
  customer_id: price.customerId,
  plan: price.planId,
  interval: price.interval,
  amount: price.amount,
  currency: price.currency,
  stripe_price_id: price.stripePriceId,
  reason: price.reason,
  created_by: price.createdBy,
  created_at: isoTime(price.createdAt),
  active: price.removedAt === null,
  removed_by: price.removedBy,
  removed_at: isoTime(price.removedAt),
});

export function registerAdminPriceRoutes(router: ApiRouter, billing: BillingService): void {
  const prices = billing.customerPrices;

  router.route({
    method: 'GET',
    url: '/api/v1/admin/customers/:id/prices',
    access: 'admin',
    tag: 'admin',
    summary: "A customer's negotiated prices",
    description: 'The active prices, oldest first; `history=true` adds the replaced and removed ones.',
    params: z.strictObject({ id: idSchema.describe('Customer id') }),
    query: z.strictObject({
      history: z.enum(['true', 'false']).default('false').describe('Include replaced and removed prices'),
    }),
    errors: ['not_found'],
    response: { description: 'The prices', schema: z.object({ data: z.array(customerPriceSchema) }) },
    async handler({ params, query }) {
      const list = await prices.list(params.id, { includeRemoved: query.history === 'true' });
      return { data: list.map(customerPriceView) };
    },
  });

  router.route({
    method: 'PUT',
    url: '/api/v1/admin/customers/:id/prices',
    access: 'admin',
    tag: 'admin',
    summary: "Set a customer's negotiated price for a plan and interval",
    description:
      "Creates a recurring Stripe price on the plan's product (in the catalog's currency, metadata naming " +
      'the customer) and sells it to this customer instead of the catalog price: subscribe, upgrade, ' +
      'Checkout and the upgrade preview. Setting the amount it already has changes nothing ' +
      '(`changed: false`); an amount it had before reuses that Stripe price. A subscription already on ' +
      'a replaced price keeps it until the plan is changed. 400 for an unknown or free plan, an interval ' +
      'the plan is not sold on, an amount that is not a non-negative integer; 503 with nothing written ' +
      'when Stripe cannot be reached.',
    params: z.strictObject({ id: idSchema.describe('Customer id') }),
    body: z.strictObject({
      plan: planSchema,
      interval: intervalSchema,
      amount: z.number().int().min(0).describe('Minor units per interval, e.g. 200000 for $2,000'),
      reason: z.string().min(1).max(500).optional().describe('Why (the contract), kept in the audit trail'),
    }),
    errors: ['not_found', 'conflict', 'payment_provider_unavailable'] as const,
    response: {
      description: 'The price now active, and the one it replaced',
      schema: z.object({
        price: customerPriceSchema,
        replaced: customerPriceSchema.nullable(),
        changed: z.boolean().describe('False when the customer already had this price'),
      }),
    },
    async handler({ caller, params, body }) {
      const result = await prices.set(
        params.id,
        {
          planId: body.plan,
          interval: body.interval,
          amount: body.amount,
          ...(body.reason ? { reason: body.reason } : {}),
        },
        adminActor(caller),
      );
      return {
        price: customerPriceView(result.price),
        replaced: result.replaced === null ? null : customerPriceView(result.replaced),
        changed: result.changed,
      };
    },
  });

  router.route({
    method: 'DELETE',
    url: '/api/v1/admin/customers/:id/prices/:plan/:interval',
    access: 'admin',
    tag: 'admin',
    summary: "Remove a customer's negotiated price",
    description:
      'Future subscriptions and plan changes of the customer use the catalog price again; a subscription ' +
      'on the negotiated price keeps it until changed. 404 when the customer has no such price.',
    params: z.strictObject({
      id: idSchema.describe('Customer id'),
      plan: planSchema,
      interval: intervalSchema,
    }),
    errors: ['not_found', 'conflict'] as const,
    response: { description: 'The price, now removed', schema: z.object({ price: customerPriceSchema }) },
    async handler({ caller, params }) {
      const removed = await prices.remove(params.id, params.plan, params.interval, adminActor(caller));
      return { price: customerPriceView(removed) };
    },
  });
}
