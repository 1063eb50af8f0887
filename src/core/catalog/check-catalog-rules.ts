/**
 * Rules that relate one part of the catalog to another: ids, declared features, the default plan,
 * Stripe ids against offered intervals, overage against the quota. They read the raw input rather than
 * the schema's output so they still run, and are reported together, when some field is malformed
 * elsewhere; each rule skips values of the wrong shape, which the schema already reports.
 */
import type { CatalogIssue } from './catalog-error.js';
import { isUnlimited } from './catalog-values.js';

/** Ids of plans, operations and features: stable, URL- and header-safe, never renamed by case. */
export const CATALOG_ID = /^[a-z][a-z0-9_-]*$/;

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every cross-field problem of a raw catalog, in file order.
 * @example
 * checkCatalogRules({ default_plan: 'gold', plans: { free: {} } });
 * // [{ path: 'default_plan', message: "plan 'gold' is not defined in plans (free)" }]
 */
export function checkCatalogRules(input: unknown): CatalogIssue[] {
  if (!isFields(input)) return [];
  const issues: CatalogIssue[] = [];
  const report = (path: string, message: string) => issues.push({ path, message });

  for (const section of ['features', 'operations', 'plans'] as const) {
    const entries = input[section];
    if (!isFields(entries)) continue;
    const kind = section.slice(0, -1);
    for (const id of Object.keys(entries)) {
      if (!CATALOG_ID.test(id)) {
        report(
          `${section}.${id}`,
          `invalid ${kind} id '${id}': use lower-case letters, digits, _ and -, starting with a letter`,
        );
      }
    }
  }

  const plans = isFields(input.plans) ? input.plans : null;
  if (plans !== null && Object.keys(plans).length === 0) report('plans', 'at least one plan is required');
  checkDefaultPlan(input.default_plan, plans, report);

  const declared = isFields(input.features) ? input.features : {};
  const operations = isFields(input.operations) ? input.operations : {};
  for (const [id, plan] of Object.entries(plans ?? {})) {
    if (!isFields(plan)) continue;
    checkPlan(`plans.${id}`, plan, declared, report);
    const limits = isFields(plan.limits) ? plan.limits : {};
    if (isFields(limits.operations)) {
      checkOperationLimits(`plans.${id}.limits.operations`, limits.operations, operations, report);
    }
  }
  return issues;
}

type Report = (path: string, message: string) => void;

function checkDefaultPlan(defaultPlan: unknown, plans: Fields | null, report: Report): void {
  if (typeof defaultPlan !== 'string' || plans === null || Object.keys(plans).length === 0) return;
  const plan = plans[defaultPlan];
  if (!Object.hasOwn(plans, defaultPlan)) {
    report(
      'default_plan',
      `plan '${defaultPlan}' is not defined in plans (${Object.keys(plans).join(', ')})`,
    );
    return;
  }
  // Customers fall back to the default plan when a subscription ends, without paying for it.
  const prices = isFields(plan) && isFields(plan.prices) ? plan.prices : {};
  if (Object.values(prices).some((price) => typeof price === 'number' && price > 0)) {
    report(
      'default_plan',
      `the default plan '${defaultPlan}' must be free: set its prices to 0 or leave them out`,
    );
  }
}

function checkPlan(path: string, plan: Fields, declared: Fields, report: Report): void {
  if (Array.isArray(plan.features)) {
    const seen = new Set<string>();
    plan.features.forEach((feature: unknown, index) => {
      if (typeof feature !== 'string') return;
      if (!Object.hasOwn(declared, feature)) {
        report(`${path}.features.${index}`, `feature '${feature}' is not declared in features`);
      } else if (seen.has(feature)) {
        report(`${path}.features.${index}`, `feature '${feature}' is listed twice`);
      }
      seen.add(feature);
    });
  }

  const stripe = isFields(plan.stripe) ? plan.stripe : {};
  const prices = isFields(plan.prices) ? plan.prices : {};
  for (const [interval, adjective] of [
    ['month', 'monthly'],
    ['year', 'yearly'],
  ] as const) {
    if (
      typeof stripe[interval] === 'string' &&
      (prices[interval] === null || prices[interval] === undefined)
    ) {
      report(
        `${path}.stripe.${interval}`,
        `names a ${adjective} Stripe price, but the plan has no prices.${interval}`,
      );
    }
  }

  const overage = plan.overage;
  if (typeof stripe.overage === 'string' && (overage === null || overage === undefined)) {
    report(`${path}.stripe.overage`, 'names an overage Stripe price, but the plan has no overage');
  }
  if (!isFields(overage)) return;
  const credits = isFields(plan.limits) ? plan.limits.credits : undefined;
  if (credits !== undefined && isUnlimited(credits)) {
    report(
      `${path}.overage`,
      'overage needs a finite limits.credits: an unlimited quota has no excess to bill',
    );
  }
  const { per_credits: perCredits, cap } = overage;
  if (Number.isSafeInteger(perCredits) && Number.isSafeInteger(cap)) {
    // overageAllowance() computes cap × per_credits × 1000 in floating point; keep it exact.
    if (BigInt(cap as number) * BigInt(perCredits as number) * 1000n > BigInt(Number.MAX_SAFE_INTEGER)) {
      report(
        `${path}.overage.cap`,
        'too large for this per_credits: the cap allows more milli-credits than fit',
      );
    }
  }
}

/** Limits on operations: each names a declared operation, and overage bills past a finite month limit. */
function checkOperationLimits(path: string, limits: Fields, operations: Fields, report: Report): void {
  const declared = Object.keys(operations);
  for (const [operation, limit] of Object.entries(limits)) {
    if (!Object.hasOwn(operations, operation)) {
      report(
        `${path}.${operation}`,
        `operation '${operation}' is not declared in operations${declared.length > 0 ? ` (${declared.join(', ')})` : ''}`,
      );
    }
    if (!isFields(limit) || !isFields(limit.overage)) continue;
    if (limit.month === undefined || isUnlimited(limit.month)) {
      report(
        `${path}.${operation}.overage`,
        'overage needs a month limit: it bills the units past it (add month: <units>)',
      );
    }
    const { per, cap } = limit.overage;
    // monthCeiling() computes cap × per in floating point; keep it exact.
    if (Number.isSafeInteger(per) && Number.isSafeInteger(cap)) {
      if (BigInt(cap as number) * BigInt(per as number) > BigInt(Number.MAX_SAFE_INTEGER)) {
        report(
          `${path}.${operation}.overage.cap`,
          'too large for this per: the cap allows more units than fit',
        );
      }
    }
  }
}
