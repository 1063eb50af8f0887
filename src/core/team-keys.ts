/**
 * Team keys (docs/decisions/015): a customer is an organisation's billing account, holding several
 * members' keys; each key has a name, an owner and optionally its own limits inside the customer's.
 * Limits are absolute integers (never percents: a percent of a limit that overrides, grants and plan
 * changes move would silently change every key). A key limit above the customer's is accepted and
 * simply never binds, so lowering a plan never makes keys invalid.
 */
import { MAX_MILLI_CREDITS, MILLI_PER_CREDIT } from './credits.js';
import { invalidRequest } from './errors.js';
import type { ApiKeyPatch, KeyLimits } from './ports.js';

/** A change of a key's limits: a field absent stays, null removes that limit. */
export type KeyLimitsChange = { [field in keyof KeyLimits]?: number | null };

/** What an admin gives when issuing or changing a key. Credits here are whole credits. */
export interface KeyChange {
  name?: string | null;
  owner?: string | null;
  /** `credits` in whole credits per period; requests per minute and per day. */
  limits?: KeyLimitsChange | null;
}

const LIMIT_FIELDS = ['credits', 'requestsPerMinute', 'requestsPerDay'] as const;
const WIRE_NAMES: Record<keyof KeyLimits, string> = {
  credits: 'limits.credits',
  requestsPerMinute: 'limits.requests_per_minute',
  requestsPerDay: 'limits.requests_per_day',
};
/** Most whole credits a key limit may name (its milli-credits stay exact). */
const MAX_KEY_CREDITS = Math.floor(MAX_MILLI_CREDITS / MILLI_PER_CREDIT);

/**
 * The key's limits after `change` (credits in milli-credits), null when none is left; invalid_request
 * naming every field that is not a non-negative integer.
 * @example applyKeyLimits(null, { credits: 30 }); // { credits: 30_000, requestsPerMinute: null, requestsPerDay: null }
 */
export function applyKeyLimits(
  current: KeyLimits | null | undefined,
  change: KeyLimitsChange | null,
): KeyLimits | null {
  if (change === null) return null;
  const issues: Array<{ path: string; message: string }> = [];
  const next: KeyLimits = {
    credits: current?.credits ?? null,
    requestsPerMinute: current?.requestsPerMinute ?? null,
    requestsPerDay: current?.requestsPerDay ?? null,
  };
  for (const field of LIMIT_FIELDS) {
    const value = change[field];
    if (value === undefined) continue;
    if (value === null) {
      next[field] = null;
      continue;
    }
    const max = field === 'credits' ? MAX_KEY_CREDITS : Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      issues.push({ path: WIRE_NAMES[field], message: 'expected a non-negative integer or null' });
      continue;
    }
    next[field] = field === 'credits' ? value * MILLI_PER_CREDIT : value;
  }
  if (issues.length > 0) throw invalidRequest(issues);
  return LIMIT_FIELDS.every((field) => next[field] === null) ? null : next;
}

/** The store patch of a key change, validated (free text trimmed to null when empty). */
export function keyPatch(current: KeyLimits | null | undefined, change: KeyChange): ApiKeyPatch {
  const patch: ApiKeyPatch = {};
  const issues: Array<{ path: string; message: string }> = [];
  for (const field of ['name', 'owner'] as const) {
    const value = change[field];
    if (value === undefined) continue;
    if (value !== null && (typeof value !== 'string' || value.length > 200)) {
      issues.push({ path: field, message: 'expected text of at most 200 characters, or null' });
      continue;
    }
    patch[field] = value === null || value.trim() === '' ? null : value.trim();
  }
  if (issues.length > 0) throw invalidRequest(issues);
  if (change.limits !== undefined) patch.limits = applyKeyLimits(current, change.limits);
  return patch;
}
