/**
 * The details a denied request's error body carries besides `{ error, message, upgrade_url }`, in the
 * product brief's shapes (DESIGN "Denials explain themselves"): the `usage` object of a
 * `quota_exceeded`, the window and limit of a `rate_limited`, the feature of a
 * `feature_not_available`, the storage figures of a `storage_limit_exceeded`. The service routes and
 * the three adapters answer these same bodies.
 */
import { z } from 'zod';
import type { GateDecision } from '../core/gate/gate-decision.js';
import { quotaFiguresSchema, quotaFiguresView } from './usage-view.js';
import { credits, creditsSchema } from './wire-format.js';

const storageFiguresSchema = z.object({ bytes: z.number().int(), items: z.number().int() });

/** The detail fields, each optional: which ones appear depends on the error code. */
export const denialDetailsSchema = z.object({
  usage: quotaFiguresSchema
    .extend({ customer_id: z.string(), subscription_tier: z.string() })
    .optional()
    .describe('quota_exceeded: the credit figures of the period'),
  tier: z
    .string()
    .optional()
    .describe('rate_limited, concurrency_limited, storage_limit_exceeded: the plan whose limit applied'),
  current_tier: z.string().optional().describe('feature_not_available: the plan, which lacks the feature'),
  feature: z.string().optional().describe('feature_not_available: the feature the route requires'),
  operation: z.string().optional().describe('quota_exceeded by an operation limit: the operation'),
  window: z
    .enum(['minute', 'hour', 'day', 'month'])
    .optional()
    .describe(
      'rate_limited: the request window that is full (minute or day); quota_exceeded by an operation limit: its window (month = the credit period)',
    ),
  limit: z
    .number()
    .int()
    .optional()
    .describe(
      'rate_limited: requests per window; concurrency_limited: requests at once; quota_exceeded by an operation limit: units per window',
    ),
  used: z
    .number()
    .int()
    .optional()
    .describe('quota_exceeded by an operation limit: units counted in the window'),
  current_usage: storageFiguresSchema.optional().describe('storage_limit_exceeded: stored now'),
  requested: z
    .union([z.number().int(), storageFiguresSchema])
    .optional()
    .describe(
      'quota_exceeded by an operation limit: units asked for; storage_limit_exceeded: what the request adds',
    ),
  limits: z
    .object({ bytes: z.number().int().nullable(), items: z.number().int().nullable() })
    .optional()
    .describe("storage_limit_exceeded: the plan's storage limits; null = unlimited"),
  limit_source: z
    .enum(['plan', 'contract'])
    .optional()
    .describe(
      "Where the limit that refused comes from: the plan, or the customer's contract (an override); " +
        'absent on account_suspended',
    ),
  scope: z
    .literal('key')
    .optional()
    .describe("quota_exceeded, rate_limited: the calling key's own limit refused it (not the customer's)"),
  key_id: z.string().optional().describe('With `scope: "key"`: the key whose limit refused it'),
  key_usage: z
    .object({ credits_used: creditsSchema, credits_limit: creditsSchema, requested: creditsSchema })
    .optional()
    .describe(
      "quota_exceeded by the key's credit limit: the key's credits this period, its limit, this request's cost",
    ),
});

export function denialDetails(decision: GateDecision): z.infer<typeof denialDetailsSchema> {
  const details = limitDetails(decision);
  return decision.limitSource === null ? details : { ...details, limit_source: decision.limitSource };
}

function limitDetails(decision: GateDecision): z.infer<typeof denialDetailsSchema> {
  const { refusal, plan } = decision;
  const key = decision.refusedKey;
  if (key !== null) {
    const scoped = { scope: 'key' as const, key_id: key.keyId };
    if (key.kind === 'rate') return { ...scoped, tier: plan, limit: key.limit, window: key.window };
    return {
      ...scoped,
      usage: {
        customer_id: decision.customerId,
        subscription_tier: plan,
        ...quotaFiguresView(decision.credits.used, decision.credits.limit),
      },
      key_usage: {
        credits_used: credits(key.used),
        credits_limit: credits(key.limit),
        requested: credits(key.requested),
      },
    };
  }
  if (decision.reason === 'quota_exceeded') {
    const window = decision.refusedWindow;
    return {
      usage: {
        customer_id: decision.customerId,
        subscription_tier: plan,
        ...quotaFiguresView(decision.credits.used, decision.credits.limit, decision.credits.effectiveLimit),
      },
      // Refused by an operation limit: which one, in the operation's own units.
      ...(window
        ? {
            operation: window.operation,
            window: window.window,
            limit: window.limit,
            used: window.used,
            requested: window.requested,
          }
        : {}),
    };
  }
  if (refusal === null) return {};
  switch (refusal.kind) {
    case 'rate':
      return { tier: plan, limit: refusal.limit, window: refusal.window };
    case 'concurrency':
      return { tier: plan, limit: refusal.limit };
    case 'feature':
      return { feature: refusal.feature, current_tier: plan };
    case 'storage':
      return {
        current_usage: refusal.current,
        requested: refusal.requested,
        limits: refusal.limits,
        tier: plan,
      };
  }
}
