/**
 * The effective plan: the catalog plan with the customer's overrides in force applied. Everything
 * that enforces or shows a limit reads it (through `resolveAccess`), so the gate, the store's exact
 * admission, the views and the 429 bodies agree on one set of limits.
 *
 * It is memoised per overrides list (the list travels with the cached customer, so a new read is a
 * new list) for the span of billing time in which the same overrides are in force: a request of a
 * customer whose overrides did not change and none expired allocates nothing. Expiry is exact in
 * billing time: at `expiresAt` the plan's value applies again, one millisecond before the override's.
 */
import type { Catalog, OperationLimit, Plan } from '../catalog/catalog.js';
import { type CustomerOverride, isActive, LIMIT_FIELDS, overrideTarget } from './overrides.js';

/** Where a limit or feature a customer sees comes from. */
export type LimitSource = 'plan' | 'contract';

export interface EffectivePlan {
  plan: Plan;
  /** The overrides in force, by key: what the customer sees as coming from its contract. */
  overrides: ReadonlyMap<string, CustomerOverride>;
}

/** No override in force: shared, so a customer without a contract costs nothing. */
export const NO_OVERRIDES: ReadonlyMap<string, CustomerOverride> = new Map();

interface Memo {
  base: Plan;
  /** Billing time span [from, until) in which the same overrides are in force. */
  from: number;
  until: number;
  effective: EffectivePlan;
}

const memos = new WeakMap<readonly CustomerOverride[], Memo>();

/**
 * The plan as it applies to a customer with these overrides at billing time `now`.
 * @example effectivePlan(catalog, pro, customer.contract?.overrides, clock.now()).plan.limits.credits
 */
export function effectivePlan(
  catalog: Catalog,
  base: Plan,
  overrides: readonly CustomerOverride[] | undefined,
  now: number,
): EffectivePlan | null {
  if (overrides === undefined || overrides.length === 0) return null;
  const memo = memos.get(overrides);
  if (memo !== undefined && memo.base === base && now >= memo.from && now < memo.until) {
    return memo.effective;
  }
  let from = Number.NEGATIVE_INFINITY;
  let until = Number.POSITIVE_INFINITY;
  for (const override of overrides) {
    if (override.expiresAt === null) continue;
    if (override.expiresAt <= now) from = Math.max(from, override.expiresAt);
    else until = Math.min(until, override.expiresAt);
  }
  const effective = applyOverrides(
    catalog,
    base,
    overrides.filter((override) => isActive(override, now)),
  );
  memos.set(overrides, { base, from, until, effective });
  return effective;
}

/** A copy of the plan with the overrides applied (an override of something the catalog no longer has is skipped). */
export function applyOverrides(
  catalog: Catalog,
  base: Plan,
  overrides: readonly CustomerOverride[],
): EffectivePlan {
  if (overrides.length === 0) return { plan: base, overrides: NO_OVERRIDES };
  const limits = { ...base.limits, operations: { ...base.limits.operations } };
  const features = new Set(base.features);
  let overage = base.overage;
  let spendingCap: { value: number | null } | null = null;
  const applied = new Map<string, CustomerOverride>();
  const operation = (id: string): OperationLimit => {
    const current = limits.operations[id] ?? { windows: {}, overage: null };
    const copy = { windows: { ...current.windows }, overage: current.overage };
    limits.operations[id] = copy;
    return copy;
  };
  for (const override of overrides) {
    const target = overrideTarget(catalog, override.key);
    if ('unknown' in target) continue;
    const value = override.value;
    switch (target.kind) {
      case 'limit':
        limits[LIMIT_FIELDS[target.key]] = value as number | null;
        break;
      case 'overage':
        overage = value as Plan['overage'];
        break;
      case 'spending_cap':
        spendingCap = { value: value as number | null };
        break;
      case 'operation_window': {
        const limit = operation(target.operation);
        if (value === null) delete limit.windows[target.window];
        else limit.windows[target.window] = value as number;
        break;
      }
      case 'operation_overage':
        operation(target.operation).overage = value as OperationLimit['overage'];
        break;
      case 'feature':
        if (value === true) features.add(target.feature);
        else features.delete(target.feature);
        break;
    }
    applied.set(override.key, override);
  }
  // The cap applies to whichever overage is in force, the plan's or an overridden one.
  if (spendingCap !== null && overage !== null) overage = { ...overage, capAmount: spendingCap.value };
  for (const [id, limit] of Object.entries(limits.operations)) {
    // No window and no overage left: the operation is limited by credits alone, as if never listed.
    if (Object.keys(limit.windows).length === 0 && limit.overage === null) delete limits.operations[id];
  }
  return {
    plan: { ...base, limits, features: [...features], overage },
    overrides: applied,
  };
}

/** `contract` when an override in force sets this key, else `plan`. */
export function limitSource(overrides: ReadonlyMap<string, CustomerOverride>, key: string): LimitSource {
  return overrides.has(key) ? 'contract' : 'plan';
}
