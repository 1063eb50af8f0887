/**
 * The catalog's recurring prices, found or created at Stripe, for the demo (and tests) to sell plans
 * when no price ids are configured. A stand-in until `tollgate plans push` (`src/stripe/catalog-push/`)
 * is wired in: it finds prices by lookup key (`tollgate_<plan>_<interval>`) and creates what is missing
 * with deterministic idempotency keys, so running it twice changes nothing.
 */
import type Stripe from 'stripe';
import type { Catalog } from '../../core/catalog/catalog.js';
import type { BillingInterval } from '../../core/ports.js';
import { callStripe } from './stripe-errors.js';

export type CatalogPriceIds = Record<string, { month?: string; year?: string }>;

const lookupKey = (planId: string, interval: BillingInterval) => `tollgate_${planId}_${interval}`;

/** Price ids per paid plan and interval; plans priced 0 are the free tier and get none. */
export async function ensureCatalogPrices(stripe: Stripe, catalog: Catalog): Promise<CatalogPriceIds> {
  const wanted = catalog.plans.flatMap((plan) =>
    (['month', 'year'] as const)
      .filter((interval) => (plan.prices[interval] ?? 0) > 0)
      .map((interval) => ({ plan, interval, amount: plan.prices[interval] ?? 0 })),
  );
  const existing = await callStripe(() =>
    stripe.prices.list({
      lookup_keys: wanted.map(({ plan, interval }) => lookupKey(plan.id, interval)),
      limit: 100,
    }),
  );
  const byKey = new Map(existing.data.map((price) => [price.lookup_key, price]));
  const ids: CatalogPriceIds = {};
  for (const { plan, interval, amount } of wanted) {
    const key = lookupKey(plan.id, interval);
    let price = byKey.get(key);
    if (!price || price.unit_amount !== amount || price.currency !== catalog.currency) {
      price = await callStripe(() =>
        stripe.prices.create(
          {
            currency: catalog.currency,
            unit_amount: amount,
            recurring: { interval },
            lookup_key: key,
            transfer_lookup_key: true,
            product_data: { name: plan.name, metadata: { tollgate_plan: plan.id } },
            metadata: { tollgate_plan: plan.id, tollgate_interval: interval },
          },
          { idempotencyKey: `tollgate:catalog-price:${plan.id}:${interval}:${catalog.currency}:${amount}` },
        ),
      );
    }
    ids[plan.id] = { ...ids[plan.id], [interval]: price.id };
  }
  return ids;
}
