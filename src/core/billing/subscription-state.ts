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
  /** When Stripe created the subscription: among several live ones, the newest speaks for the customer. */
  created: number;
  /**
   * What the plan item bills per `priceInterval` (unit amount times quantity, minor units), so revenue
   * counts the real price (a negotiated one too); absent when not known (mirrored before).
   */
  priceAmount?: number | null;
  priceInterval?: BillingInterval | null;
}

/**
 * A subscription as mirrored: the snapshot and `stripeUpdatedAt`, the Stripe time its state was read
 * at (the event's `created`), so a late event never overwrites a newer state of the same subscription.
 */
export interface SubscriptionRecord extends SubscriptionSnapshot {
  stripeUpdatedAt: number;
}

export interface PlanPrice {
  planId: string;
  interval: BillingInterval;
  /** Set on a customer's negotiated price (custom-prices.ts): only that customer is sold it. */
  customerId?: string;
  /** The negotiated amount (minor units per interval); catalog prices take the plan's. */
  amount?: number;
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
    if (price.planId === planId && price.interval === interval && price.customerId === undefined)
      return priceId;
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

/**
 * How much a subscription in each status speaks for its customer, lower first: one that is paid or
 * being paid (active, trialing, past_due in grace), then unpaid (suspended, but still Stripe's live
 * subscription), paused, incomplete (nothing paid yet), and last the ended ones.
 */
const STATUS_RANK: Record<StripeSubscriptionStatus, number> = {
  active: 0,
  trialing: 0,
  past_due: 0,
  unpaid: 1,
  paused: 2,
  incomplete: 3,
  canceled: 4,
  incomplete_expired: 4,
};

/**
 * The subscription that decides a customer's plan when Stripe holds several (docs/decisions/008):
 * the one whose status ranks first (see `STATUS_RANK`), then the newest created (the one the
 * customer chose last), then the greater id, so every process and every delivery order picks the
 * same one. Undefined when there are none.
 */
export function effectiveSubscription<T extends SubscriptionSnapshot>(
  subscriptions: readonly T[],
): T | undefined {
  let best: T | undefined;
  for (const candidate of subscriptions) {
    if (best === undefined) {
      best = candidate;
      continue;
    }
    const order =
      STATUS_RANK[candidate.status] - STATUS_RANK[best.status] ||
      best.created - candidate.created ||
      (candidate.subscriptionId > best.subscriptionId ? -1 : 1);
    if (order < 0) best = candidate;
  }
  return best;
}

export interface CustomerSubscriptionResult extends SubscriptionPatchResult {
  /** The subscription that speaks for the customer, if any. */
  subscription: SubscriptionSnapshot | undefined;
}

/**
 * The change the whole set of a customer's subscriptions, as Stripe holds them, makes to the customer:
 * the effective subscription's `subscriptionPatch`. It depends on the set, never on which subscription
 * an event happened to be about, so a late event of an old subscription cannot undo a newer one.
 * An incomplete subscription ranked first means every other one has ended: the customer is on the
 * free tier, holding the incomplete one's id (what in-order delivery gives).
 */
export function customerSubscriptionPatch(
  customer: Customer,
  subscriptions: readonly SubscriptionSnapshot[],
  prices: PriceIndex,
  catalog: Catalog,
  now: number,
): CustomerSubscriptionResult {
  const subscription = effectiveSubscription(subscriptions);
  if (subscription === undefined) return { patch: {}, unknownPrice: false, subscription };
  if (
    subscription.status === 'incomplete' &&
    customer.stripeSubscriptionId !== null &&
    customer.stripeSubscriptionId !== subscription.subscriptionId
  ) {
    return {
      patch: freeTier(catalog, subscription.subscriptionId, 'canceled'),
      unknownPrice: false,
      subscription,
    };
  }
  return { ...subscriptionPatch(customer, subscription, prices, catalog, now), subscription };
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
