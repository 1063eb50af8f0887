/**
 * The shapes of the API answers the billing page reads (see src/server/usage-view.ts, plan-view.ts and
 * routes/billing-routes.ts). Credits are JSON numbers (at most 3 decimals), money integer minor units, times ISO
 * strings, and null means "no limit". Usage figures are shared with the admin console (lib/usage-types).
 */
import type { OperationLimits } from '../lib/operation-limits';
import type { AccountStatus, ContractLimit } from '../lib/usage-types';

export type { AccountStatus, Usage } from '../lib/usage-types';

export type Interval = 'month' | 'year';

export interface Limits {
  credits_per_month: number | null;
  requests_per_minute: number | null;
  requests_per_day: number | null;
  concurrent_requests: number | null;
  storage_bytes: number | null;
  storage_items: number | null;
  /** Limits in units of an operation, by operation (lib/operation-limits). */
  operations?: Record<string, OperationLimits>;
}

export interface Subscription {
  customer_id: string;
  /** The account's name and email as the app gave them (shown in the header). */
  customer_name: string | null;
  customer_email: string | null;
  subscription_tier: string;
  plan_name: string;
  status: AccountStatus;
  billing_interval: Interval | null;
  subscription_id: string | null;
  current_period_start: string | null;
  current_period_end: string | null;
  trial_end: string | null;
  cancel_at_period_end: boolean;
  payment_failed_at: string | null;
  limits: Limits;
  /** What the subscription bills per interval; `contract` when it is the customer's negotiated price. */
  price?: { amount: number; currency: string; interval: Interval; contract: boolean } | null;
  /** The customer's negotiated prices: what it is charged instead of the catalog's. */
  contract_prices?: { plan: string; interval: Interval; amount: number; currency: string }[];
}

export interface UsageHistory {
  period_start: string;
  period_end: string;
  bucket: string;
  data: { start: string; credits: number; events: number }[];
}

export interface Plan {
  id: string;
  name: string;
  description: string | null;
  default: boolean;
  currency: string;
  prices: { month: number | null; year: number | null };
  trial_days: number;
  limits: Limits;
  features: string[];
  overage: { unit_amount: number; unit_credits: number; cap_amount: number | null } | null;
  /** Set by `withContractPrices`: the intervals whose price is the customer's negotiated one. */
  contract?: { month: boolean; year: boolean };
}

/**
 * What the customer's plan gives it now (GET /api/v1/entitlements): the plan's limits, features and
 * overage changed by the contract's overrides in force, which `contract` lists.
 */
export interface Entitlements {
  subscription_tier: string;
  features: Record<string, boolean>;
  limits: Limits;
  overage: Plan['overage'];
  contract: ContractLimit[];
}

export interface Catalog {
  currency: string;
  plans: Plan[];
  features: { id: string; name: string }[];
}

export interface Invoice {
  id: string;
  number: string | null;
  status: string | null;
  currency: string;
  amount_due: number;
  amount_paid: number;
  total: number;
  created: string;
  period_start: string | null;
  period_end: string | null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  subscription_id: string | null;
  billing_reason: string | null;
}

export interface PaymentMethod {
  id: string;
  brand: string | null;
  last4: string | null;
  exp_month: number | null;
  exp_year: number | null;
  default: boolean;
}

/** What a plan change would charge (POST /api/v1/billing/upgrade/preview); money in minor units. */
export interface ChangePreview {
  action: 'change_price' | 'nothing';
  reason: string | null;
  direction: 'upgrade' | 'downgrade' | null;
  /** Sent back with the upgrade, so it is charged the previewed amount. */
  proration_date: string | null;
  due_now: boolean;
  amount_due: number;
  currency: string;
  lines: { description: string | null; amount: number; proration: boolean }[];
}

/** What a billing action answers (subscribe, upgrade, cancel, resume). */
export interface BillingOutcome {
  action: string;
  reason: string | null;
  subscription: Subscription;
}

/** A subscription the customer pays for (or trials), as opposed to the default free plan. */
export function hasSubscription(subscription: Subscription): boolean {
  return subscription.subscription_id !== null && subscription.status !== 'canceled';
}

/** The first open invoice with a hosted page: what "Pay now" opens. */
export function openInvoice(invoices: Invoice[] | undefined): Invoice | undefined {
  return invoices?.find((invoice) => invoice.status === 'open' && invoice.hosted_invoice_url !== null);
}

/** Only http(s) links from the API are rendered as links. */
export function safeUrl(value: string | null): string | null {
  if (value === null) return null;
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * The catalog as this customer buys it: its negotiated prices (GET /api/v1/billing/subscription's
 * `contract_prices`) in place of the catalog's, marked in `contract`, so every card, the current
 * plan and the change dialog show what the customer is actually charged.
 */
export function withContractPrices(catalog: Catalog | undefined, subscription: Subscription | undefined) {
  const contract = subscription?.contract_prices ?? [];
  if (catalog === undefined || contract.length === 0) return catalog;
  return {
    ...catalog,
    plans: catalog.plans.map((plan) => {
      const own = (interval: Interval) =>
        contract.find((price) => price.plan === plan.id && price.interval === interval);
      const month = own('month');
      const year = own('year');
      if (!month && !year) return plan;
      return {
        ...plan,
        prices: { month: month?.amount ?? plan.prices.month, year: year?.amount ?? plan.prices.year },
        contract: { month: month !== undefined, year: year !== undefined },
      };
    }),
  };
}

/**
 * A plan as this customer has it: the effective limits, features and overage of its entitlements
 * when they are this plan's (the current one), else the catalog's. Features keep the plan's order,
 * then those the contract adds in the catalog's.
 */
export function withEntitlements(plan: Plan, entitlements: Entitlements | undefined): Plan {
  if (entitlements === undefined || entitlements.subscription_tier !== plan.id) return plan;
  const included = Object.keys(entitlements.features).filter((id) => entitlements.features[id]);
  const kept = plan.features.filter((id) => entitlements.features[id] === true);
  return {
    ...plan,
    limits: entitlements.limits,
    features: [...kept, ...included.filter((id) => !kept.includes(id))],
    overage: entitlements.overage,
  };
}
