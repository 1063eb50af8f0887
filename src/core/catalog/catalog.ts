/**
 * The catalog in the form the engine uses: parsed, validated, units normalized (credits in
 * milli-credits, money in minor units, `null` for "no limit"). Users write it as YAML or with
 * `defineCatalog()`; `parseCatalog` turns either into this.
 */

export interface Catalog {
  /** ISO 4217 code, lower case (`usd`). */
  currency: string;
  /** Plan for new customers and for customers whose subscription ended. */
  defaultPlan: string;
  /** Where limit errors send the customer to upgrade; null when the app has no such page. */
  upgradeUrl: string | null;
  /** Plans in the order the catalog lists them (cheapest first by convention). */
  plans: Plan[];
  operations: Record<string, Operation>;
  /** Declared feature flags, id -> human name. */
  features: Record<string, string>;
  /** Path prefixes that are never gated nor metered (`/health`). */
  exemptRoutes: string[];
}

export interface Plan {
  id: string;
  name: string;
  description: string | null;
  /** Recurring prices in minor units; null when the interval is not offered. */
  prices: { month: number | null; year: number | null };
  trialDays: number;
  /** Stripe ids; null until `tollgate plans push` creates them or the catalog names them. */
  stripe: {
    productId: string | null;
    monthlyPriceId: string | null;
    yearlyPriceId: string | null;
    overagePriceId: string | null;
  };
  limits: PlanLimits;
  features: string[];
  overage: Overage | null;
}

/** Every limit: null means unlimited. */
export interface PlanLimits {
  /** Milli-credits per billing period (month). */
  credits: number | null;
  requestsPerMinute: number | null;
  requestsPerDay: number | null;
  concurrentRequests: number | null;
  storageBytes: number | null;
  storageItems: number | null;
  /**
   * Limits on operations in their own units, by operation id. An operation missing here is limited
   * by credits alone.
   */
  operations: Record<string, OperationLimit>;
}

/** The windows an operation may be limited on; `month` is the credit period. */
export const OPERATION_WINDOWS = ['minute', 'hour', 'day', 'month'] as const;
export type OperationWindow = (typeof OPERATION_WINDOWS)[number];

/** Length of the fixed windows (UTC-aligned, billing time); `month` follows the credit period instead. */
export const FIXED_WINDOW_MS: Record<Exclude<OperationWindow, 'month'>, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** One operation's limits in a plan. */
export interface OperationLimit {
  /** Units per window, only the windows the plan limits; 0 = the operation is not included. */
  windows: Partial<Record<OperationWindow, number>>;
  /** Units past the month limit billed instead of refused; null = the month limit is hard. */
  overage: OperationOverage | null;
}

/** Per-operation overage: `unitAmount` minor units for each `unitQuantity` units past the month limit. */
export interface OperationOverage {
  unitAmount: number;
  unitQuantity: number;
  /** Most money of this operation's overage per period, minor units; null = no cap. */
  capAmount: number | null;
}

/** Usage past the quota billed through Stripe Billing Meters. */
export interface Overage {
  /** Price in minor units for each `unitCredits` credits of overage (10 = $0.10 per 1,000 credits). */
  unitAmount: number;
  unitCredits: number;
  /** Most money of overage per period, minor units; null = no cap. */
  capAmount: number | null;
}

export interface Operation {
  id: string;
  /** Milli-credits per unit of the operation. */
  cost: number;
  description: string | null;
}

/** Milli-credits of overage a plan admits per period past its quota; null = unlimited. */
export function overageAllowance(overage: Overage | null): number | null {
  if (overage === null) return 0;
  if (overage.capAmount === null) return null;
  // Integer arithmetic: cap (minor units) / price per unit -> credits, then milli-credits, rounded down.
  return Math.floor((overage.capAmount * overage.unitCredits * 1000) / overage.unitAmount);
}

/** Most milli-credits a period may reach on this plan, overage included; null = unlimited. */
export function creditCeiling(plan: Plan): number | null {
  if (plan.limits.credits === null) return null;
  const allowance = overageAllowance(plan.overage);
  return allowance === null ? null : plan.limits.credits + allowance;
}

/**
 * Most units of an operation a credit period may reach, overage included; null = no month ceiling.
 * @example monthCeiling({ windows: { month: 1000 }, overage: { unitAmount: 10, unitQuantity: 1000, capAmount: 500 } }); // 51000
 */
export function monthCeiling(limit: OperationLimit): number | null {
  const month = limit.windows.month;
  if (month === undefined) return null;
  if (limit.overage === null) return month;
  const { capAmount, unitQuantity, unitAmount } = limit.overage;
  // Integer arithmetic: cap (minor units) / price per `unitQuantity` units, rounded down.
  return capAmount === null ? null : month + Math.floor((capAmount * unitQuantity) / unitAmount);
}

export function findPlan(catalog: Catalog, planId: string): Plan | undefined {
  return catalog.plans.find((plan) => plan.id === planId);
}
