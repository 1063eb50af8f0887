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

export function findPlan(catalog: Catalog, planId: string): Plan | undefined {
  return catalog.plans.find((plan) => plan.id === planId);
}
