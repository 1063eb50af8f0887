/**
 * A customer's usage as the API shows it: the credit figures of the current period (JSON numbers, at
 * most 3 decimals, exact), the request windows, storage, and where the account stands (trial, grace, suspension).
 * The admin routes show the same figures, so one function builds them for both.
 */
import { z } from 'zod';
import type { AccountAccess } from '../core/account.js';
import { OPERATION_WINDOWS } from '../core/catalog/catalog.js';
import { type GrantStanding, raiseLimit } from '../core/contract/grants.js';
import type { GateDecision } from '../core/gate/gate-decision.js';
import type { OperationStanding, WindowStanding } from '../core/gate/operation-windows.js';
import { DAY_MS } from '../core/periods.js';
import type { Customer, PeriodUsage } from '../core/ports.js';
import { contractSchema, contractView } from './override-view.js';
import {
  countLimitSchema,
  creditLimitSchema,
  credits,
  creditsSchema,
  isoTime,
  isoTimeSchema,
} from './wire-format.js';

export const accountStatusSchema = z.enum(['active', 'trialing', 'past_due', 'suspended', 'canceled']);

/** The quota figures of the period, also carried by a `quota_exceeded` denial's `usage` object. */
export const quotaFiguresSchema = z.object({
  credits_used: creditsSchema.describe('Credits used this period'),
  monthly_limit: creditLimitSchema,
  quota_remaining: creditLimitSchema,
  usage_percentage: z.number().nullable().describe('Share of the quota used, 2 decimals; null = unlimited'),
});

export const creditUsageSchema = quotaFiguresSchema.extend({
  subscription_tier: z.string(),
  quota_exceeded: z.boolean(),
  overage_used: creditsSchema.describe('Credits used past the included quota (billed as overage)'),
  period_start: isoTimeSchema,
  period_end: isoTimeSchema,
});

const windowUsageSchema = z.object({
  used: z.number().int().describe('Units counted in the window'),
  limit: countLimitSchema.describe("The plan's units per window; null means unlimited"),
  remaining: z.number().int().nullable().describe('Units left; null means unlimited'),
  resets_at: isoTimeSchema.describe('When the window ends (billing time); month = the credit period'),
});

/** `{ <operation>: { <window>: { used, limit, remaining, resets_at } } }`: month always, other windows when limited. */
export const operationsUsageSchema = z
  .record(
    z.string(),
    z.object({
      minute: windowUsageSchema.optional(),
      hour: windowUsageSchema.optional(),
      day: windowUsageSchema.optional(),
      month: windowUsageSchema,
    }),
  )
  .describe(
    'Every operation of the catalog: its month (the credit period) always, and the minute, hour and day windows the plan limits',
  );

export type OperationsUsage = z.infer<typeof operationsUsageSchema>;

function windowUsageView(standing: WindowStanding): z.infer<typeof windowUsageSchema> {
  return {
    used: standing.used,
    limit: standing.limit,
    remaining: standing.remaining,
    resets_at: isoTime(standing.resetAt),
  };
}

export function operationsUsageView(standings: Record<string, OperationStanding>): OperationsUsage {
  const view: OperationsUsage = {};
  for (const [operation, standing] of Object.entries(standings)) {
    const month = standing.month;
    if (month === undefined) continue;
    const windows: OperationsUsage[string] = { month: windowUsageView(month) };
    for (const window of OPERATION_WINDOWS) {
      const figure = standing[window];
      if (window !== 'month' && figure !== undefined) windows[window] = windowUsageView(figure);
    }
    view[operation] = windows;
  }
  return view;
}

/** A grant as the customer sees it in its usage (who made it, and why, stay in the admin API). */
export const usageGrantSchema = z.object({
  id: z.string(),
  operation: z.string().nullable().describe('The operation whose units are granted; null for credits'),
  amount: z.number().describe('Granted: credits, or units of the operation'),
  used: z.number(),
  remaining: z.number().describe('Counted in quota_remaining (credits) or the operation month remaining'),
  expires: z.enum(['period', 'until_used']),
  expires_at: isoTimeSchema.nullable(),
});

export function usageGrantView({ grant, used, remaining }: GrantStanding): z.infer<typeof usageGrantSchema> {
  const figure = (value: number) => (grant.operation === null ? credits(value) : value);
  return {
    id: grant.id,
    operation: grant.operation,
    amount: figure(grant.amount),
    used: figure(used),
    remaining: figure(remaining),
    expires: grant.expires,
    expires_at: isoTime(grant.expiresAt),
  };
}

export const usageSchema = creditUsageSchema.extend({
  customer_id: z.string(),
  status: accountStatusSchema.describe('As it stands now: past_due becomes suspended after the grace period'),
  in_trial: z.boolean(),
  trial_end_date: isoTimeSchema.nullable(),
  trial_days_left: z
    .number()
    .int()
    .nullable()
    .describe('Whole days of trial left in billing time (rounded up); null outside a trial'),
  grace_period_end: isoTimeSchema.nullable(),
  requests_this_minute: z.number().int().nullable().describe('null when the plan has no such limit'),
  requests_per_minute_limit: countLimitSchema,
  requests_today: z.number().int().nullable().describe('null when the plan has no such limit'),
  requests_per_day_limit: countLimitSchema,
  concurrent_requests_limit: countLimitSchema,
  storage_bytes: z.number().int(),
  storage_bytes_limit: countLimitSchema,
  storage_items: z.number().int(),
  storage_items_limit: countLimitSchema,
  operations: operationsUsageSchema,
  contract: contractSchema,
  grants: z
    .array(usageGrantSchema)
    .describe('One-off grants usable now, spent before the plan quota (soonest expiry first)'),
});

export type CreditUsage = z.infer<typeof creditUsageSchema>;
export type UsageBody = z.infer<typeof usageSchema>;

/**
 * Used and limit in milli-credits (limit null = unlimited) as the wire's quota figures. `monthly_limit`
 * stays the plan's; `quota_remaining` counts what is left of grants too (`effectiveLimit`).
 */
export function quotaFiguresView(
  used: number,
  limit: number | null,
  effectiveLimit: number | null = limit,
): z.infer<typeof quotaFiguresSchema> {
  return {
    credits_used: credits(used),
    monthly_limit: credits(limit),
    quota_remaining: effectiveLimit === null ? null : credits(Math.max(0, effectiveLimit - used)),
    // Integer arithmetic to the hundredth, then one division for display.
    usage_percentage: limit === null || limit === 0 ? null : Math.floor((used * 10_000) / limit) / 100,
  };
}

export function creditUsageView(access: AccountAccess, usage: PeriodUsage): CreditUsage {
  const limit = access.plan.limits.credits;
  const effectiveLimit = raiseLimit(limit, access.grants?.credits);
  const used = usage.used;
  return {
    subscription_tier: access.plan.id,
    ...quotaFiguresView(used, limit, effectiveLimit),
    quota_exceeded: effectiveLimit !== null && used >= effectiveLimit,
    overage_used: credits(usage.overage),
    period_start: isoTime(access.period.start),
    period_end: isoTime(access.period.end),
  };
}

/**
 * @param rate the request windows as the gate sees them now (from `tollgate.check`), or null when not
 *   read; a window the plan does not limit is not counted, so its figure is null.
 */
export function usageView(
  customer: Customer,
  access: AccountAccess,
  usage: PeriodUsage,
  rate: GateDecision['rate'] | null,
  now: number,
  operations: Record<string, OperationStanding>,
  grants: readonly GrantStanding[] = [],
): UsageBody {
  const limits = access.plan.limits;
  const minute = rate?.minute ?? null;
  const day = rate?.day ?? null;
  return {
    customer_id: customer.id,
    ...creditUsageView(access, usage),
    status: access.status,
    in_trial: access.status === 'trialing' && customer.trialEnd !== null && customer.trialEnd > now,
    trial_end_date: isoTime(customer.trialEnd),
    trial_days_left:
      access.status === 'trialing' && customer.trialEnd !== null
        ? Math.max(0, Math.ceil((customer.trialEnd - now) / DAY_MS))
        : null,
    grace_period_end: isoTime(access.graceEndsAt),
    requests_this_minute: minute === null ? null : minute.limit - minute.remaining,
    requests_per_minute_limit: limits.requestsPerMinute,
    requests_today: day === null ? null : day.limit - day.remaining,
    requests_per_day_limit: limits.requestsPerDay,
    concurrent_requests_limit: limits.concurrentRequests,
    storage_bytes: customer.storageBytes,
    storage_bytes_limit: limits.storageBytes,
    storage_items: customer.storageItems,
    storage_items_limit: limits.storageItems,
    operations: operationsUsageView(operations),
    contract: contractView(access),
    grants: grants.filter((standing) => standing.status === 'active').map(usageGrantView),
  };
}
