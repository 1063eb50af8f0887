/**
 * Setting and removing a customer's overrides, as a plan computed before anything is written: every
 * entry is checked (known limit or feature, value in the catalog's units, expiry after the current
 * billing time) and all problems are reported at once, so a refused change writes nothing. The audit
 * entry names each key with the plan's value and the override before and after, in wire units.
 */
import type { NewAuditEntry } from '../billing/billing-records.js';
import type { Catalog, Plan } from '../catalog/catalog.js';
import { type ErrorIssue, invalidRequest, TollgateError } from '../errors.js';
import {
  type CustomerOverride,
  type OverrideTarget,
  overrideTarget,
  overrideWireValue,
  planValue,
  readOverrideValue,
} from './overrides.js';

/** One override to set, as an admin wrote it; `path` names it in error issues. */
export interface OverrideEntry {
  path: string;
  key: string;
  value: unknown;
}

export interface OverrideInput {
  set: readonly OverrideEntry[];
  /** Billing time the overrides end; null = until removed. */
  expiresAt: number | null;
  reason: string | null;
}

/** The rows to write for `input`, or invalid_request naming every problem. */
export function overridesToSet(
  catalog: Catalog,
  customerId: string,
  input: OverrideInput,
  actor: string,
  now: number,
): CustomerOverride[] {
  const issues: ErrorIssue[] = [];
  if (input.set.length === 0) issues.push({ path: '', message: 'name at least one limit or feature' });
  if (input.expiresAt !== null && input.expiresAt <= now) {
    issues.push({
      path: 'expires_at',
      message: `must be after the current billing time (${new Date(now).toISOString()})`,
    });
  }
  const rows: CustomerOverride[] = [];
  const seen = new Set<string>();
  for (const entry of input.set) {
    const target = overrideTarget(catalog, entry.key);
    if ('unknown' in target) {
      issues.push({ path: entry.path, message: target.unknown });
      continue;
    }
    if (seen.has(entry.key)) {
      issues.push({ path: entry.path, message: `'${entry.key}' is named twice` });
      continue;
    }
    seen.add(entry.key);
    const value = readOverrideValue(target, entry.value);
    if (!value.ok) {
      issues.push({ path: entry.path, message: value.message });
      continue;
    }
    rows.push({
      customerId,
      key: entry.key,
      value: value.value,
      expiresAt: input.expiresAt,
      reason: input.reason,
      createdBy: actor,
      createdAt: now,
      updatedBy: actor,
      updatedAt: now,
    });
  }
  if (issues.length > 0) throw invalidRequest(issues);
  return rows;
}

/** A key to remove must name a limit or feature; invalid_request otherwise. */
export function checkRemovableKey(catalog: Catalog, key: string): void {
  const target = overrideTarget(catalog, key);
  if ('unknown' in target) throw invalidRequest([{ path: 'key', message: target.unknown }]);
}

/** An override as the audit trail and the API show it: value in wire units, expiry as ISO time. */
function overrideState(target: OverrideTarget | null, override: CustomerOverride | undefined) {
  if (override === undefined) return null;
  return {
    value: target === null ? override.value : overrideWireValue(target, override.value),
    expires_at: override.expiresAt === null ? null : new Date(override.expiresAt).toISOString(),
  };
}

/**
 * The audit entry of a change: `contract.overrides_set` or `contract.overrides_removed`, one change
 * per key that differs, each with the plan's value, `before` and `after` (null = no override).
 * Removing a key that is not set is refused with not_found (inside the transaction: nothing written).
 */
export function overrideAudit(
  catalog: Catalog,
  plan: Plan,
  change: { customerId: string; action: 'set' | 'removed'; keys: readonly string[] | 'all' },
  actor: string,
  at: number,
  reason: string | null,
  before: readonly CustomerOverride[],
  after: readonly CustomerOverride[],
): NewAuditEntry {
  const beforeByKey = new Map(before.map((override) => [override.key, override]));
  const afterByKey = new Map(after.map((override) => [override.key, override]));
  if (change.keys !== 'all') {
    const missing = change.keys.find((key) => !beforeByKey.has(key));
    if (change.action === 'removed' && missing !== undefined) {
      throw new TollgateError('not_found', `The customer has no override of '${missing}'.`);
    }
  }
  const keys = change.keys === 'all' ? [...beforeByKey.keys()] : change.keys;
  const changes = keys.map((key) => {
    const target = overrideTarget(catalog, key);
    const known = 'unknown' in target ? null : target;
    return {
      key,
      plan: known === null ? null : overrideWireValue(known, planValue(plan, known)),
      before: overrideState(known, beforeByKey.get(key)),
      after: overrideState(known, afterByKey.get(key)),
    };
  });
  return {
    at,
    actor,
    action: change.action === 'set' ? 'contract.overrides_set' : 'contract.overrides_removed',
    customerId: change.customerId,
    details: { plan: plan.id, changes, reason },
  };
}
