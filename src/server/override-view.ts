/**
 * Overrides on the wire: the admin API's body (limits and features in the catalog's own names and
 * units, as GET /api/v1/plans shows them), flattened into dotted keys for the engine; the admin
 * listing (each override with the plan's value, expiry and whether it is in force); and the
 * `contract` list that /usage and /entitlements show the customer (only what is in force, no reason
 * nor author).
 */
import { z } from 'zod';
import type { AccountAccess } from '../core/account.js';
import type { OverrideEntry } from '../core/contract/override-changes.js';
import {
  type CustomerOverride,
  isActive,
  overrideWireValue,
  planValue,
  targetOfKey,
} from '../core/contract/overrides.js';
import { isoTime, isoTimeSchema } from './wire-format.js';

const limitValue = z
  .unknown()
  .describe('In the catalog\'s units (credits as a number of credits); null or "unlimited" = no limit');

const limitsBody = z.strictObject({
  credits: limitValue.optional().describe('Credits per period; null = unlimited'),
  requests_per_minute: limitValue.optional(),
  requests_per_day: limitValue.optional(),
  concurrent_requests: limitValue.optional(),
  storage_bytes: limitValue.optional().describe('Bytes, or a size with a unit ("10GB")'),
  storage_items: limitValue.optional(),
  operations: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .optional()
    .describe(
      '`{ <operation>: { <minute|hour|day|month>: units or null, overage: { unit_amount, per, cap_amount } or null } }`',
    ),
  overage: z
    .unknown()
    .optional()
    .describe('`{ unit_amount, unit_credits, cap_amount }`, or null for a hard quota'),
  spending_cap: z
    .unknown()
    .optional()
    .describe("Most overage money per period in minor units (the overage's cap_amount); null = no cap"),
});

export const overridesBodySchema = z.strictObject({
  limits: limitsBody.optional(),
  features: z.record(z.string(), z.unknown()).optional().describe('`{ <feature>: true | false }`'),
  expires_at: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 time, e.g. 2026-12-31T00:00:00Z' })
    .nullable()
    .optional()
    .describe('Billing time the overrides end (the plan applies again); absent or null = until removed'),
  reason: z.string().min(1).max(500).optional().describe('Kept in the audit trail'),
});

export type OverridesBody = z.infer<typeof overridesBodySchema>;

/** The body's limits and features as dotted keys (`operations.tokens.month`), each with its body path. */
export function overrideEntries(body: OverridesBody): OverrideEntry[] {
  const entries: OverrideEntry[] = [];
  const add = (key: string, path: string, value: unknown) => entries.push({ key, path, value });
  const { operations, ...limits } = body.limits ?? {};
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined) add(name, `limits.${name}`, value);
  }
  for (const [operation, windows] of Object.entries(operations ?? {})) {
    for (const [window, value] of Object.entries(windows)) {
      add(`operations.${operation}.${window}`, `limits.operations.${operation}.${window}`, value);
    }
  }
  for (const [feature, value] of Object.entries(body.features ?? {})) {
    add(`features.${feature}`, `features.${feature}`, value);
  }
  return entries;
}

/** A dotted override key in a URL or CLI argument. */
export const overrideKeySchema = z
  .string()
  .min(1)
  .max(200)
  .describe(
    '`credits`, `requests_per_minute`, `operations.<operation>.<window|overage>`, `features.<feature>`, ...',
  );

/** One override in force, as the customer sees it. */
export const contractLimitSchema = z.object({
  key: overrideKeySchema,
  value: z.unknown().describe("The contract's value, in the catalog's units (null = unlimited)"),
  plan_value: z.unknown().describe("The plan's own value, which applies again when the override ends"),
  expires_at: isoTimeSchema
    .nullable()
    .describe('When the override ends (billing time); null = until removed'),
});

export const contractSchema = z
  .array(contractLimitSchema)
  .describe(
    "The limits and features the customer's contract sets, in force now; any other comes from the plan",
  );

export const overrideSchema = contractLimitSchema.extend({
  in_force: z.boolean().describe('False once expired (kept until removed, so what was agreed stays visible)'),
  reason: z.string().nullable(),
  created_by: z.string(),
  created_at: isoTimeSchema,
  updated_by: z.string(),
  updated_at: isoTimeSchema,
});

function limitView(access: AccountAccess, override: CustomerOverride) {
  const known = targetOfKey(override.key);
  return {
    key: override.key,
    value: known === null ? override.value : overrideWireValue(known, override.value),
    plan_value: known === null ? null : overrideWireValue(known, planValue(access.catalogPlan, known)),
    expires_at: isoTime(override.expiresAt),
  };
}

/** The overrides in force, ordered by key. */
export function contractView(access: AccountAccess): z.infer<typeof contractSchema> {
  return [...access.overrides.values()]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((override) => limitView(access, override));
}

/** Every stored override of a customer, in force or expired, with who set it. */
export function overrideView(
  access: AccountAccess,
  override: CustomerOverride,
  now: number,
): z.infer<typeof overrideSchema> {
  return {
    ...limitView(access, override),
    in_force: isActive(override, now),
    reason: override.reason,
    created_by: override.createdBy,
    created_at: isoTime(override.createdAt),
    updated_by: override.updatedBy,
    updated_at: isoTime(override.updatedAt),
  };
}
