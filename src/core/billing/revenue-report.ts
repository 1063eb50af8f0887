/**
 * Revenue figures for the admin console, from the mirrored customers and the audit log. Integers
 * only: money in minor units, rates in basis points (1/100 of a percent), rounded down.
 * - MRR: every paying subscription (active or past due) at its plan's price; yearly prices / 12.
 * - ARPU: MRR per paying customer.
 * - Churn (30 days): paid subscriptions that fell to canceled, over those paying now plus them.
 * - Trial conversion (30 days): trials that became active, over trials that ended either way.
 */
import { type Catalog, findPlan } from '../catalog/catalog.js';
import { DAY_MS } from '../periods.js';
import type { Customer, Store } from '../ports.js';

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

/** What one customer adds to MRR (minor units per month). */
export function monthlyRevenue(customer: Customer, catalog: Catalog): number {
  if (customer.stripeSubscriptionId === null) return 0;
  if (customer.status !== 'active' && customer.status !== 'past_due') return 0;
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
    for (const customer of page.customers) {
      const revenue = monthlyRevenue(customer, catalog);
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
