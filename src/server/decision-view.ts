/**
 * The gate's decision as a response body: what `/usage/check` answers (allowed or not, and why) and
 * what `/usage/record` answers once usage is recorded. The same figures go out as headers
 * (`decision.headers`); the body repeats them for clients that do not read headers.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { GateDecision } from '../core/gate/gate-decision.js';
import { creditLimitSchema, credits, creditsSchema, isoTime, isoTimeSchema } from './wire-format.js';

const figuresSchema = z.object({
  subscription_tier: z.string(),
  operation: z.string(),
  quantity: z.number().int(),
  cost: creditsSchema.describe('Credits this operation x quantity costs'),
  credits_used: creditsSchema.describe('Credits used this period (after this event when recorded)'),
  monthly_limit: creditLimitSchema,
  quota_remaining: creditLimitSchema,
  period_end: isoTimeSchema.describe('When the credit period ends and usage resets'),
  requests_remaining_minute: z.number().int().nullable(),
  requests_per_minute_limit: z.number().int().nullable(),
  requests_remaining_day: z.number().int().nullable(),
  requests_per_day_limit: z.number().int().nullable(),
});

export const checkResultSchema = figuresSchema.extend({
  allowed: z.boolean(),
  reason: z
    .enum([
      'account_suspended',
      'feature_not_available',
      'rate_limited',
      'concurrency_limited',
      'storage_limit_exceeded',
      'quota_exceeded',
    ])
    .nullable()
    .describe('The error code a request would get; null when allowed'),
  message: z.string().nullable(),
  retry_after: z.number().int().nullable().describe('Seconds until a denied request may succeed'),
  upgrade_url: z.string().nullable(),
});

export const recordResultSchema = figuresSchema.extend({
  event_id: z
    .string()
    .nullable()
    .describe(
      'The recorded usage event (a replay answers with the first one); every event is stored, also of an operation that costs no credits',
    ),
});

interface DecisionInput {
  operation: string;
  quantity: number;
}

function figures(decision: GateDecision, input: DecisionInput): z.infer<typeof figuresSchema> {
  const { minute, day } = decision.rate;
  return {
    subscription_tier: decision.plan,
    operation: input.operation,
    quantity: input.quantity,
    cost: credits(decision.credits.cost),
    credits_used: credits(decision.credits.used),
    monthly_limit: credits(decision.credits.limit),
    quota_remaining: credits(decision.credits.remaining),
    period_end: isoTime(decision.credits.resetAt),
    requests_remaining_minute: minute?.remaining ?? null,
    requests_per_minute_limit: minute?.limit ?? null,
    requests_remaining_day: day?.remaining ?? null,
    requests_per_day_limit: day?.limit ?? null,
  };
}

export function checkResultView(
  decision: GateDecision,
  input: DecisionInput,
): z.infer<typeof checkResultSchema> {
  return {
    ...figures(decision, input),
    allowed: decision.allowed,
    reason: decision.reason,
    message: decision.message,
    retry_after: decision.retryAfterSeconds,
    upgrade_url: decision.allowed ? null : decision.upgradeUrl,
  };
}

export function recordResultView(
  decision: GateDecision,
  input: DecisionInput,
): z.infer<typeof recordResultSchema> {
  return { ...figures(decision, input), event_id: decision.eventId };
}

/** Copies the decision's headers (the contract's X-RateLimit-*, X-Credits-*, RateLimit) onto the reply. */
export function sendDecisionHeaders(reply: FastifyReply, decision: GateDecision, started: number): void {
  reply.headers(decision.headers);
  reply.header('X-Request-Duration-Ms', (performance.now() - started).toFixed(2));
}
