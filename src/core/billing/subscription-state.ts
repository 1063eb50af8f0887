/**
 * How Stripe's view of a subscription maps onto a Tollgate customer, as pure functions. Stripe is the
 * source of truth: webhook handlers, API answers and reconciliation all turn what Stripe says into a
 * `SubscriptionSnapshot` and apply it with `subscriptionPatch`, so the three can never disagree.
 */
import type { Catalog } from '../catalog/catalog.js';
import type { AccountStatus, BillingInterval, Customer, CustomerPatch } from '../ports.js';

export type StripeSubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

/** What Tollgate needs of a Stripe subscription. Times in epoch ms. */
export interface SubscriptionSnapshot {
  subscriptionId: string;
  stripeCustomerId: string;
  status: StripeSubscriptionStatus;
  /** Price of the plan's licensed item (not the metered overage item); null if none. */
  priceId: string | null;
  currentPeriodStart: number | null;
  currentPeriodEnd: number | null;
  trialEnd: number | null;
  cancelAtPeriodEnd: boolean;
}

export interface PlanPrice {
  planId: string;
  interval: BillingInterval;
}

/** Stripe price id -> the plan and interval it bills. */
export type PriceIndex = ReadonlyMap<string, PlanPrice>;

/**
 * Every price id the catalog knows: those written in the catalog, then those given by the environment
 * (STRIPE_PRICE_ID_<TIER>, monthly) and those recorded by `tollgate plans push`, later ones winning.
 */
export function buildPriceIndex(
  catalog: Catalog,
  ...extra: Array<Record<string, { month?: string | null; year?: string | null }>>
): Map<string, PlanPrice> {
  const index = new Map<string, PlanPrice>();
  for (const plan of catalog.plans) {
    if (plan.stripe.monthlyPriceId)
      index.set(plan.stripe.monthlyPriceId, { planId: plan.id, interval: 'month' });
    if (plan.stripe.yearlyPriceId)
      index.set(plan.stripe.yearlyPriceId, { planId: plan.id, interval: 'year' });
  }
  for (const source of extra) {
    for (const [planId, ids] of Object.entries(source)) {
      if (!catalog.plans.some((plan) => plan.id === planId)) continue;
      if (ids.month) index.set(ids.month, { planId, interval: 'month' });
      if (ids.year) index.set(ids.year, { planId, interval: 'year' });
    }
  }
  return index;
}

/** The price id of a plan and interval, or undefined when the plan is not sold on that interval. */
export function priceFor(prices: PriceIndex, planId: string, interval: BillingInterval): string | undefined {
  for (const [priceId, price] of prices)
    if (price.planId === planId && price.interval === interval) return priceId;
  return undefined;
}

export type CustomerChange = Omit<CustomerPatch, 'updatedAt'>;

export interface SubscriptionPatchResult {
  patch: CustomerChange;
  /** The snapshot's price is not in the catalog: the plan was left as it was. */
  unknownPrice: boolean;
}

/** Back to the default (free) plan with no billing cycle: what a canceled subscription leaves. */
export const freeTier = (
  catalog: Catalog,
  subscriptionId: string | null,
  status: AccountStatus,
): CustomerChange => ({
  plan: catalog.defaultPlan,
  status,
  stripeSubscriptionId: subscriptionId,
  billingInterval: null,
  periodStart: null,
  periodEnd: null,
  trialEnd: null,
  paymentFailedAt: null,
  cancelAtPeriodEnd: false,
});

/**
 * The change a subscription snapshot makes to a customer.
 * - trialing / active: the price's plan, Stripe's period; active clears a past payment failure.
 * - past_due: grace starts at the first failure seen (kept across later snapshots).
 * - unpaid: suspended until paid.
 * - canceled / incomplete_expired: back to the default (free) plan; paused: the same, keeping the
 *   subscription id so it can be resumed.
 * - incomplete: nothing is paid yet, so the plan does not change.
 */
export function subscriptionPatch(
  customer: Customer,
  snapshot: SubscriptionSnapshot,
  prices: PriceIndex,
  catalog: Catalog,
  now: number,
): SubscriptionPatchResult {
  switch (snapshot.status) {
    case 'canceled':
    case 'incomplete_expired':
      return { patch: freeTier(catalog, null, 'canceled'), unknownPrice: false };
    case 'paused':
      return { patch: freeTier(catalog, snapshot.subscriptionId, 'canceled'), unknownPrice: false };
    case 'incomplete':
      return {
        patch: customer.stripeSubscriptionId ? {} : { stripeSubscriptionId: snapshot.subscriptionId },
        unknownPrice: false,
      };
    default:
      break;
  }

  const price = snapshot.priceId === null ? undefined : prices.get(snapshot.priceId);
  const status: AccountStatus =
    snapshot.status === 'trialing'
      ? 'trialing'
      : snapshot.status === 'past_due'
        ? 'past_due'
        : snapshot.status === 'unpaid'
          ? 'suspended'
          : 'active';
  const failing = status === 'past_due' || status === 'suspended';
  const patch: CustomerChange = {
    status,
    stripeCustomerId: snapshot.stripeCustomerId,
    stripeSubscriptionId: snapshot.subscriptionId,
    periodStart: snapshot.currentPeriodStart,
    periodEnd: snapshot.currentPeriodEnd,
    trialEnd: snapshot.trialEnd,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
    paymentFailedAt: failing ? (customer.paymentFailedAt ?? now) : null,
  };
  if (price) {
    patch.plan = price.planId;
    patch.billingInterval = price.interval;
  }
  return { patch, unknownPrice: !price };
}

/** `invoice.payment_failed`: past due, the grace period counting from the first failure. */
export function paymentFailedPatch(customer: Customer, failedAt: number): CustomerChange {
  if (customer.status === 'canceled') return {};
  return {
    status: customer.status === 'suspended' ? 'suspended' : 'past_due',
    paymentFailedAt: customer.paymentFailedAt ?? failedAt,
  };
}

/** `invoice.paid`: the failure is cleared and a suspended or past-due account is served again. */
export function paymentSucceededPatch(customer: Customer): CustomerChange {
  if (customer.paymentFailedAt === null && customer.status !== 'past_due' && customer.status !== 'suspended')
    return {};
  return { paymentFailedAt: null, status: customer.status === 'trialing' ? 'trialing' : 'active' };
}
