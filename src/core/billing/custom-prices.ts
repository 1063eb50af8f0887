/**
 * Negotiated prices (docs/decisions/013-custom-prices.md): a customer may have its own recurring
 * price for a plan and interval, in minor units of the catalog's currency. Subscribe, plan changes,
 * Checkout and the upgrade preview sell that customer its price instead of the catalog's; everyone
 * else keeps the catalog's. The rules here are pure; the admin flow that creates the Stripe price is
 * `src/stripe/billing/customer-prices.ts`.
 *
 * - One active price per (customer, plan, interval). Setting another retires the old one (kept as
 *   history); a subscription already on the old Stripe price keeps it until the plan is changed.
 * - Removing it sells the catalog's price to that customer again, for future subscriptions and changes.
 * - Every price ever created stays in the price index (`withCustomerPrices`), so a subscription on any
 *   of them is recognised as its plan, on any instance and after a restart.
 */
import { type Catalog, findPlan } from '../catalog/catalog.js';
import type { ErrorIssue } from '../errors.js';
import type { BillingInterval, Store } from '../ports.js';
import type { PlanPrice, PriceIndex } from './subscription-state.js';

export interface CustomerPrice {
  id: string;
  customerId: string;
  planId: string;
  interval: BillingInterval;
  /** Minor units per interval. */
  amount: number;
  currency: string;
  stripePriceId: string;
  reason: string | null;
  /** The actor that set it (`admin:<key id>`, `cli`). */
  createdBy: string;
  createdAt: number;
  /** Set when it was replaced or removed; the active price has none. */
  removedBy: string | null;
  removedAt: number | null;
}

export type NewCustomerPrice = Omit<CustomerPrice, 'removedBy' | 'removedAt'>;

export interface CustomerPriceFilter {
  customerId?: string;
  /** Only the active prices (default), or history too. */
  includeRemoved?: boolean;
}

export interface CustomerPriceInput {
  planId: string;
  interval: BillingInterval;
  amount: number;
}

/**
 * Why a negotiated price cannot be set, as issues with the body's field names; empty when it can.
 * The plan must be a paid plan of the catalog sold on that interval (its catalog price says which
 * product the negotiated one belongs to), and the amount a non-negative integer of minor units.
 */
export function customerPriceIssues(
  catalog: Catalog,
  input: { planId: string; interval: string; amount: unknown },
): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const plan = findPlan(catalog, input.planId);
  if (!plan) issues.push({ path: 'plan', message: `unknown plan '${input.planId}'` });
  else if (plan.id === catalog.defaultPlan || (plan.prices.month ?? 0) + (plan.prices.year ?? 0) === 0)
    issues.push({ path: 'plan', message: `'${plan.id}' is a free plan: it has no price to negotiate` });
  if (input.interval !== 'month' && input.interval !== 'year')
    issues.push({ path: 'interval', message: "expected 'month' or 'year'" });
  else if (plan && plan.id !== catalog.defaultPlan && plan.prices[input.interval] === null)
    issues.push({ path: 'interval', message: `plan '${plan.id}' is not sold ${input.interval}ly` });
  const amount = input.amount;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0)
    issues.push({ path: 'amount', message: 'expected a non-negative integer of minor units' });
  return issues;
}

/** The customer's active price for a plan and interval, if it has one. */
export function customerPriceFor(
  prices: readonly CustomerPrice[] | undefined,
  planId: string,
  interval: BillingInterval,
): CustomerPrice | undefined {
  return prices?.find(
    (price) => price.planId === planId && price.interval === interval && price.removedAt === null,
  );
}

/**
 * The price index with every negotiated price added (removed ones too: a subscription may still be on
 * one). Each carries its customer and amount, so `priceFor` never sells one to anyone else.
 */
export function withCustomerPrices(base: PriceIndex, prices: readonly CustomerPrice[]): PriceIndex {
  if (prices.length === 0) return base;
  const index = new Map<string, PlanPrice>(base);
  for (const price of prices) {
    if (index.has(price.stripePriceId) && index.get(price.stripePriceId)?.customerId === undefined) continue;
    index.set(price.stripePriceId, {
      planId: price.planId,
      interval: price.interval,
      customerId: price.customerId,
      amount: price.amount,
    });
  }
  return index;
}

/** The deterministic Stripe idempotency key of a negotiated price: the same price is created once. */
export function customerPriceKey(customerId: string, price: CustomerPriceInput, currency: string): string {
  return `tollgate:customer-price:${customerId}:${price.planId}:${price.interval}:${currency}:${price.amount}`;
}

/**
 * The price index for code that does not know the customer (webhooks, reconciliation): the catalog's
 * and every negotiated price, read from the store on each call, so a price set on another instance is
 * known at once. One small read per subscription event.
 */
export function indexWithCustomerPrices(
  store: Pick<Store, 'listCustomerPrices'>,
  base: () => PriceIndex | Promise<PriceIndex>,
): () => Promise<PriceIndex> {
  return async () =>
    withCustomerPrices(await base(), await store.listCustomerPrices({ includeRemoved: true }));
}
