/**
 * What a customer may do right now, derived from the mirrored Stripe state and the clock. Suspension
 * after the grace period is computed, not scheduled: the moment the grace period ends, gated requests
 * are refused, with no job that could run late.
 */
import { type Catalog, findPlan, type Plan } from './catalog/catalog.js';
import { effectivePlan, NO_OVERRIDES } from './contract/effective-plan.js';
import { type GrantPosition, grantsInPeriod } from './contract/grants.js';
import type { CustomerOverride } from './contract/overrides.js';
import { billingPeriod, calendarMonth, DAY_MS, type Period } from './periods.js';
import type { AccountStatus, Customer } from './ports.js';

export interface AccountAccess {
  /**
   * The limits and features that apply: the customer's plan (the default plan once a subscription is
   * canceled) with its overrides in force applied. Same id and name as the catalog plan.
   */
  plan: Plan;
  /** The catalog plan itself, before overrides (the same object when none is in force). */
  catalogPlan: Plan;
  /** The overrides in force, by key (`credits`, `operations.tokens.month`, ...): their source is the contract. */
  overrides: ReadonlyMap<string, CustomerOverride>;
  /** The status as it stands now: past_due turns into suspended when the grace period is over. */
  status: AccountStatus;
  /** False when gated requests must be refused with account_suspended. */
  serviceable: boolean;
  /** When past_due: the end of the grace period (epoch ms). */
  graceEndsAt: number | null;
  /** The credit period that contains now. */
  period: Period;
  /**
   * What the customer's one-off grants add to this period's credit quota and operation months (spent
   * before the plan's); absent when it has none. `plan` keeps the plan's own limits.
   */
  grants?: GrantPosition;
}

export const DEFAULT_GRACE_PERIOD_MS = 3 * DAY_MS;

export function resolveAccess(
  customer: Customer,
  catalog: Catalog,
  now: number,
  gracePeriodMs: number = DEFAULT_GRACE_PERIOD_MS,
): AccountAccess {
  const subscribed = customer.status !== 'canceled';
  const catalogPlan =
    (subscribed ? findPlan(catalog, customer.plan) : undefined) ??
    findPlan(catalog, catalog.defaultPlan) ??
    catalog.plans[0];
  if (!catalogPlan) throw new Error('the catalog has no plans');
  // Overrides are the customer's, whatever its plan: they apply on the default plan too.
  const effective = effectivePlan(catalog, catalogPlan, customer.contract?.overrides, now);

  let status = customer.status;
  let graceEndsAt: number | null = null;
  if (status === 'past_due') {
    graceEndsAt = (customer.paymentFailedAt ?? now) + gracePeriodMs;
    if (now >= graceEndsAt) status = 'suspended';
  }
  const period = creditPeriod(customer, now);
  const book = customer.contract?.grants;
  return {
    plan: effective?.plan ?? catalogPlan,
    catalogPlan,
    overrides: effective?.overrides ?? NO_OVERRIDES,
    status,
    serviceable: status !== 'suspended',
    graceEndsAt,
    period,
    ...(book !== undefined && book.grants.length > 0 && { grants: grantsInPeriod(book, period) }),
  };
}

/**
 * The period a customer's monthly credits count in: the Stripe billing cycle when there is one (rolled
 * forward by the cycle's own rule if the renewal webhook is late), else the calendar month.
 */
export function creditPeriod(customer: Customer, now: number): Period {
  if (customer.status === 'canceled' || customer.periodStart === null || customer.periodEnd === null) {
    return calendarMonth(now);
  }
  const monthly = customer.periodEnd - customer.periodStart <= 31 * DAY_MS;
  if (monthly && now >= customer.periodStart && now < customer.periodEnd) {
    return { start: customer.periodStart, end: customer.periodEnd };
  }
  // Quotas are monthly: a yearly cycle is cut into months from its anchor, and a cycle whose renewal
  // webhook is late rolls forward by the same rule.
  return billingPeriod(customer.periodStart, 1, now);
}
