/**
 * Revenue figures for the admin console, from the mirrored customers and the audit log. Integers
 * only: money in minor units, rates in basis points (1/100 of a percent), rounded down.
 * - MRR: every paying subscription (active or past due) at the price it is billed: what the mirrored
 *   subscription's plan item bills (a negotiated price too, docs/decisions/013), else its plan's
 *   catalog price when the mirror does not know the amount; yearly prices / 12, rounded down.
 * - ARPU: MRR per paying customer.
 * - Churn (30 days): paid subscriptions that fell to canceled, over those paying now plus them.
 * - Trial conversion (30 days): trials that became active, over trials that ended either way.
 */
import { type Catalog, findPlan } from '../catalog/catalog.js';
import { DAY_MS } from '../periods.js';
import type { Customer, Store } from '../ports.js';
import type { SubscriptionRecord } from './subscription-state.js';

export const REVENUE_WINDOW_DAYS = 30;

export interface RevenueReport {
  currency: string;
  mrr: number;
  arpu: number;
  payingCustomers: number;
  /** Live subscriptions (trialing, active, past due, suspended) per plan id. */
  subscriptionsByTier: Record<string, number>;
  churn: { canceled: number; base: number; rateBps: number };
  trialConversion: { converted: number; ended: number; rateBps: number };
  windowDays: number;
}

const paidStatuses = new Set(['active', 'past_due', 'suspended']);

const isPaying = (customer: Customer): boolean =>
  customer.stripeSubscriptionId !== null && (customer.status === 'active' || customer.status === 'past_due');

/**
 * What one customer adds to MRR (minor units per month): its subscription's billed amount when the
 * mirror has it, else its plan's catalog price.
 */
export function monthlyRevenue(
  customer: Customer,
  catalog: Catalog,
  subscription?: SubscriptionRecord,
): number {
  if (!isPaying(customer)) return 0;
  const amount = subscription?.priceAmount;
  if (amount !== undefined && amount !== null && subscription?.priceInterval)
    return subscription.priceInterval === 'year' ? Math.floor(amount / 12) : amount;
  const plan = findPlan(catalog, customer.plan);
  if (!plan) return 0;
  if (customer.billingInterval === 'year' && plan.prices.year !== null)
    return Math.floor(plan.prices.year / 12);
  return plan.prices.month ?? 0;
}

const rate = (part: number, whole: number): number => (whole === 0 ? 0 : Math.floor((part * 10_000) / whole));

export async function revenueReport(store: Store, catalog: Catalog, now: number): Promise<RevenueReport> {
  let mrr = 0;
  let paying = 0;
  const subscriptionsByTier: Record<string, number> = {};
  for (let after: string | undefined; ; ) {
    const page = await store.listCustomers({ limit: 500, ...(after ? { after } : {}) });
    const subscriptions = new Map(
      (
        await store.getSubscriptions(
          page.customers.filter(isPaying).map((customer) => customer.stripeSubscriptionId ?? ''),
        )
      ).map((subscription) => [subscription.subscriptionId, subscription]),
    );
    for (const customer of page.customers) {
      const subscription = subscriptions.get(customer.stripeSubscriptionId ?? '');
      const revenue = monthlyRevenue(customer, catalog, subscription);
      mrr += revenue;
      if (revenue > 0) paying += 1;
      if (customer.stripeSubscriptionId !== null && customer.status !== 'canceled')
        subscriptionsByTier[customer.plan] = (subscriptionsByTier[customer.plan] ?? 0) + 1;
    }
    after = page.customers.at(-1)?.id;
    if (!page.hasMore || after === undefined) break;
  }

  let canceled = 0;
  let converted = 0;
  let trialsLost = 0;
  const since = now - REVENUE_WINDOW_DAYS * DAY_MS;
  for (let after: string | undefined; ; ) {
    const page = await store.listAudit({
      action: 'billing.status_changed',
      since,
      until: now + 1,
      limit: 500,
      ...(after ? { after } : {}),
    });
    for (const { details } of page.entries) {
      if (details.from === 'trialing' && details.to === 'active') converted += 1;
      else if (details.from === 'trialing' && details.to === 'canceled') trialsLost += 1;
      else if (paidStatuses.has(String(details.from)) && details.to === 'canceled') canceled += 1;
    }
    after = page.entries.at(-1)?.id;
    if (!page.hasMore || after === undefined) break;
  }

  return {
    currency: catalog.currency,
    mrr,
    arpu: paying === 0 ? 0 : Math.floor(mrr / paying),
    payingCustomers: paying,
    subscriptionsByTier,
    churn: { canceled, base: paying + canceled, rateBps: rate(canceled, paying + canceled) },
    trialConversion: {
      converted,
      ended: converted + trialsLost,
      rateBps: rate(converted, converted + trialsLost),
    },
    windowDays: REVENUE_WINDOW_DAYS,
  };
}
