/**
 * A customer's own overrides of its plan: any limit (credits, request rates, concurrency, storage, an
 * operation window, overage, the spending cap) or feature, each one row keyed by a dotted name, with
 * an optional expiry in billing time. Values are kept in the engine's units (milli-credits, minor
 * units, `null` = no limit); `readOverrideValue` turns what an admin writes (the catalog's units, as
 * GET /api/v1/plans shows them) into them, and `overrideWireValue` back.
 */

import {
  type Catalog,
  OPERATION_WINDOWS,
  type OperationOverage,
  type OperationWindow,
  type Overage,
  type Plan,
} from '../catalog/catalog.js';
import {
  readByteLimit,
  readCountLimit,
  readCreditLimit,
  readInteger,
  readMoney,
  readOptionalMoney,
  type ValueResult,
} from '../catalog/catalog-values.js';
import { formatCredits } from '../credits.js';

/** A value in the engine's units: a count or milli-credits (null = unlimited), a feature, an overage. */
export type OverrideValue = number | null | boolean | Overage | OperationOverage;

export interface CustomerOverride {
  customerId: string;
  /** `credits`, `requests_per_minute`, `operations.tokens.month`, `features.federation`, ... */
  key: string;
  value: OverrideValue;
  /** Billing time from which the plan's value applies again; null = until removed. */
  expiresAt: number | null;
  reason: string | null;
  createdBy: string;
  createdAt: number;
  updatedBy: string;
  updatedAt: number;
}

/** The plan's own scalar limits, by their wire name. */
export const LIMIT_FIELDS = {
  credits: 'credits',
  requests_per_minute: 'requestsPerMinute',
  requests_per_day: 'requestsPerDay',
  concurrent_requests: 'concurrentRequests',
  storage_bytes: 'storageBytes',
  storage_items: 'storageItems',
} as const;
export type LimitKey = keyof typeof LIMIT_FIELDS;

/** What a key overrides. */
export type OverrideTarget =
  | { kind: 'limit'; key: LimitKey }
  | { kind: 'overage' }
  | { kind: 'spending_cap' }
  | { kind: 'operation_window'; operation: string; window: OperationWindow }
  | { kind: 'operation_overage'; operation: string }
  | { kind: 'feature'; feature: string };

/** The target a key names, by its shape only (null when it has none); see `overrideTarget`. */
export function targetOfKey(key: string): OverrideTarget | null {
  if (key in LIMIT_FIELDS) return { kind: 'limit', key: key as LimitKey };
  if (key === 'overage') return { kind: 'overage' };
  if (key === 'spending_cap') return { kind: 'spending_cap' };
  const [head, name, part, ...rest] = key.split('.');
  if (head === 'features' && name && part === undefined) return { kind: 'feature', feature: name };
  if (head !== 'operations' || !name || part === undefined || rest.length > 0) return null;
  if (part === 'overage') return { kind: 'operation_overage', operation: name };
  if ((OPERATION_WINDOWS as readonly string[]).includes(part)) {
    return { kind: 'operation_window', operation: name, window: part as OperationWindow };
  }
  return null;
}

/** The target of a key, or a sentence saying why no such limit or feature exists in this catalog. */
export function overrideTarget(catalog: Catalog, key: string): OverrideTarget | { unknown: string } {
  const [head, name, part] = key.split('.');
  if (head === 'features' && name && part === undefined && !(name in catalog.features)) {
    return { unknown: `unknown feature '${name}'` };
  }
  if (head === 'operations' && name && part !== undefined) {
    if (!(name in catalog.operations)) return { unknown: `unknown operation '${name}'` };
    const target = targetOfKey(key);
    if (target === null && key.split('.').length === 3) {
      return { unknown: `unknown window '${part}': use ${OPERATION_WINDOWS.join(', ')} or overage` };
    }
  }
  return (
    targetOfKey(key) ?? {
      unknown:
        `unknown limit '${key}': use ${Object.keys(LIMIT_FIELDS).join(', ')}, overage, spending_cap, ` +
        'operations.<operation>.<window|overage> or features.<feature>',
    }
  );
}

const fail = (message: string): ValueResult<never> => ({ ok: false, message });

function objectOf(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** Reads only the named fields of an object; a field it does not know is refused by name. */
function readFields<T>(
  value: unknown,
  fields: Record<string, (field: unknown) => ValueResult<unknown>>,
  build: (read: Record<string, unknown>) => T,
): ValueResult<T> {
  const object = objectOf(value);
  const names = Object.keys(fields);
  if (object === null) return fail(`expected an object with ${names.join(', ')}, or null`);
  const unknownField = Object.keys(object).find((name) => !names.includes(name));
  if (unknownField !== undefined) return fail(`unknown field '${unknownField}'`);
  const read: Record<string, unknown> = {};
  for (const [name, reader] of Object.entries(fields)) {
    const result = reader(object[name]);
    if (!result.ok) return fail(`${name}: ${result.message}`);
    read[name] = result.value;
  }
  return { ok: true, value: build(read) };
}

const positiveMoney = (value: unknown) => readMoney(value, { positive: true });
const positiveCount = (value: unknown) => readInteger(value, 1);

/**
 * A value as an admin writes it (credits as numbers of credits, sizes in bytes or with a unit,
 * `null` or `unlimited` for no limit, an overage as GET /api/v1/plans shows it), in the engine's units.
 * @example readOverrideValue({ kind: 'limit', key: 'credits' }, 5000.5); // { ok: true, value: 5000500 }
 */
export function readOverrideValue(target: OverrideTarget, value: unknown): ValueResult<OverrideValue> {
  switch (target.kind) {
    case 'limit':
      if (target.key === 'credits') return readCreditLimit(value);
      if (target.key === 'storage_bytes') return readByteLimit(value);
      // 0 requests or 0 concurrent would lock the customer out: suspend it, or lower to 1.
      return readCountLimit(value, target.key === 'storage_items' ? 0 : 1);
    case 'operation_window':
      return readCountLimit(value, 0);
    case 'spending_cap':
      return readOptionalMoney(value);
    case 'feature':
      return typeof value === 'boolean' ? { ok: true, value } : fail('expected true or false');
    case 'overage':
      if (value === null) return { ok: true, value: null };
      return readFields(
        value,
        { unit_amount: positiveMoney, unit_credits: positiveCount, cap_amount: readOptionalMoney },
        (read): Overage => ({
          unitAmount: read.unit_amount as number,
          unitCredits: read.unit_credits as number,
          capAmount: read.cap_amount as number | null,
        }),
      );
    case 'operation_overage':
      if (value === null) return { ok: true, value: null };
      return readFields(
        value,
        { unit_amount: positiveMoney, per: positiveCount, cap_amount: readOptionalMoney },
        (read): OperationOverage => ({
          unitAmount: read.unit_amount as number,
          unitQuantity: read.per as number,
          capAmount: read.cap_amount as number | null,
        }),
      );
  }
}

/** A value in the units an admin writes and reads (credits as a decimal number of credits). */
export function overrideWireValue(target: OverrideTarget, value: OverrideValue): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    return target.kind === 'limit' && target.key === 'credits' ? Number(formatCredits(value)) : value;
  }
  if ('unitCredits' in value) {
    return { unit_amount: value.unitAmount, unit_credits: value.unitCredits, cap_amount: value.capAmount };
  }
  return { unit_amount: value.unitAmount, per: value.unitQuantity, cap_amount: value.capAmount };
}

/** What the plan itself has for a target, in the engine's units. */
export function planValue(plan: Plan, target: OverrideTarget): OverrideValue {
  switch (target.kind) {
    case 'limit':
      return plan.limits[LIMIT_FIELDS[target.key]];
    case 'overage':
      return plan.overage;
    case 'spending_cap':
      return plan.overage?.capAmount ?? null;
    case 'operation_window':
      return plan.limits.operations[target.operation]?.windows[target.window] ?? null;
    case 'operation_overage':
      return plan.limits.operations[target.operation]?.overage ?? null;
    case 'feature':
      return plan.features.includes(target.feature);
  }
}

/** Whether an override is in force at billing time `now` (expiry is exclusive: at the instant, the plan). */
export function isActive(override: CustomerOverride, now: number): boolean {
  return override.expiresAt === null || now < override.expiresAt;
}
