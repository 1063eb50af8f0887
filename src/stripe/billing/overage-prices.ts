/**
 * Which metered price a plan's overage is billed at: the lookup the billing service reads on every
 * flow (`BillingServiceOptions.overagePrice`). STRIPE_METERED_PRICE_ID, when set, is the overage price
 * of every plan with overage; else the catalog file's `stripe.overage`; else the one `tollgate plans
 * push` created and recorded (`store.getStripeCatalogIds()`). Plans without overage have none.
 */
import { type Catalog, findPlan } from '../../core/catalog/catalog.js';
import type { StripeCatalogIds } from '../../core/ports.js';

/**
 * @example
 * const overagePrice = overagePriceLookup(catalog, await store.getStripeCatalogIds(), null);
 * overagePrice('pro'); // 'price_...' (the pushed metered price), overagePrice('starter') === null
 */
export function overagePriceLookup(
  catalog: Catalog,
  pushed: StripeCatalogIds,
  meteredPriceId: string | null | undefined,
): (planId: string) => string | null {
  return (planId) => {
    const plan = findPlan(catalog, planId);
    if (!plan?.overage) return null;
    return meteredPriceId ?? plan.stripe.overagePriceId ?? pushed[planId]?.overage ?? null;
  };
}

/**
 * The metered prices of a plan's operations with overage, as `tollgate plans push` recorded them, in
 * operation order; an operation not pushed yet has none (its usage is reported, not invoiced).
 * @example
 * const operationPrices = operationPricesLookup(catalog, await store.getStripeCatalogIds());
 * operationPrices('pro'); // ['price_...'] (api_call's), operationPrices('free') -> []
 */
export function operationPricesLookup(
  catalog: Catalog,
  pushed: StripeCatalogIds,
): (planId: string) => readonly string[] {
  return (planId) => {
    const plan = findPlan(catalog, planId);
    if (plan === undefined) return [];
    return Object.entries(plan.limits.operations)
      .filter(([, limit]) => limit.overage !== null)
      .map(([operation]) => pushed[planId]?.operations?.[operation]?.price)
      .filter((price): price is string => price !== undefined);
  };
}
