/**
 * Team keys on the wire (docs/decisions/015): a key's owner and own limits, the limits an admin sets
 * (whole credits and request counts, integers only), and usage by key. Credits go out formatted from
 * the integer milli-credits, like every credit figure.
 */
import { z } from 'zod';
import type { NewAuditEntry } from '../core/billing/billing-records.js';
import type { ApiKeyRecord, KeyLimits, KeyUsage } from '../core/ports.js';
import type { KeyChange } from '../core/team-keys.js';
import { credits, creditsSchema, isoTime, isoTimeSchema } from './wire-format.js';

const limitInput = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .nullable()
    .optional()
    .describe(`${what}; null removes it`);

/** Limits as an admin gives them: a field absent stays as it is, null removes that limit. */
export const keyLimitsInputSchema = z
  .strictObject({
    credits: limitInput('Whole credits per credit period, inside the customer quota'),
    requests_per_minute: limitInput('Requests per minute, inside the customer rate'),
    requests_per_day: limitInput('Requests per day, inside the customer rate'),
  })
  .nullable()
  .describe(
    "The key's own limits (integers; a limit above the customer's never binds); null removes them all",
  );

export const keyFieldsInputSchema = {
  name: z.string().min(1).max(100).nullable().optional().describe('A label for the key'),
  owner: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .describe("Who holds the key: a member's email or user id (free text)"),
  limits: keyLimitsInputSchema.optional(),
};

export type KeyFieldsInput = {
  name?: string | null | undefined;
  owner?: string | null | undefined;
  limits?: z.infer<typeof keyLimitsInputSchema> | undefined;
};

/** The engine's key change from the parsed body (fields absent stay absent). */
export function keyChangeFrom(body: KeyFieldsInput): KeyChange {
  const change: KeyChange = {};
  if (body.name !== undefined) change.name = body.name;
  if (body.owner !== undefined) change.owner = body.owner;
  if (body.limits !== undefined) {
    const limits = body.limits;
    change.limits =
      limits === null
        ? null
        : {
            ...(limits.credits !== undefined && { credits: limits.credits }),
            ...(limits.requests_per_minute !== undefined && {
              requestsPerMinute: limits.requests_per_minute,
            }),
            ...(limits.requests_per_day !== undefined && { requestsPerDay: limits.requests_per_day }),
          };
  }
  return change;
}

export const keyLimitsSchema = z
  .object({
    credits: creditsSchema.nullable().describe('Credits per credit period; null: none of its own'),
    requests_per_minute: z.number().int().nullable(),
    requests_per_day: z.number().int().nullable(),
  })
  .nullable()
  .describe("The key's own limits inside the customer's; null when it has none");

export function keyLimitsView(limits: KeyLimits | null | undefined): z.infer<typeof keyLimitsSchema> {
  if (!limits) return null;
  return {
    credits: credits(limits.credits),
    requests_per_minute: limits.requestsPerMinute,
    requests_per_day: limits.requestsPerDay,
  };
}

export const keyUsageFiguresSchema = z.object({
  credits_used: creditsSchema.describe('Credits of the events recorded through the key this period'),
  events: z.number().int().describe('Usage events recorded through the key this period'),
});

export function keyUsageFigures(usage: KeyUsage | undefined): z.infer<typeof keyUsageFiguresSchema> {
  return { credits_used: credits(usage?.cost ?? 0), events: usage?.events ?? 0 };
}

/** The usage breakdown of a customer's period by key. */
export const keyBreakdownSchema = z.object({
  customer_id: z.string(),
  period_start: isoTimeSchema,
  period_end: isoTimeSchema,
  credits_used: creditsSchema.describe('All credits of the period: the keys and `unattributed` add up to it'),
  events: z.number().int(),
  keys: z.array(
    keyUsageFiguresSchema.extend({
      key_id: z.string(),
      name: z.string().nullable(),
      owner: z.string().nullable(),
      prefix: z.string(),
      revoked_at: isoTimeSchema.nullable(),
      last_used_at: isoTimeSchema.nullable(),
      limits: keyLimitsSchema,
    }),
  ),
  unattributed: keyUsageFiguresSchema.describe(
    'Usage recorded without a key (in-process, or before keys were kept)',
  ),
});

export function keyBreakdownView(
  customerId: string,
  period: { start: number; end: number },
  keys: readonly ApiKeyRecord[],
  usage: readonly KeyUsage[],
): z.infer<typeof keyBreakdownSchema> {
  const byKey = new Map(usage.map((row) => [row.keyId, row]));
  const total = usage.reduce((sum, row) => ({ cost: sum.cost + row.cost, events: sum.events + row.events }), {
    cost: 0,
    events: 0,
  });
  return {
    customer_id: customerId,
    period_start: isoTime(period.start),
    period_end: isoTime(period.end),
    credits_used: credits(total.cost),
    events: total.events,
    keys: keys.map((key) => ({
      key_id: key.id,
      name: key.name,
      owner: key.owner ?? null,
      prefix: key.prefix,
      revoked_at: isoTime(key.revokedAt),
      last_used_at: isoTime(key.lastUsedAt),
      limits: keyLimitsView(key.limits),
      ...keyUsageFigures(byKey.get(key.id)),
    })),
    unattributed: keyUsageFigures(byKey.get(null)),
  };
}

/** The calling key's own standing in `GET /api/v1/usage`, when the key has limits. */
export const keyStandingSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    owner: z.string().nullable(),
    credits_used: creditsSchema.describe('Credits used through this key this period'),
    credits_limit: creditsSchema.nullable().describe("The key's own credits per period; null: none"),
    credits_remaining: creditsSchema
      .nullable()
      .describe("Left under the key's own limit (the customer's quota may leave less)"),
    requests_per_minute: z.number().int().nullable(),
    requests_this_minute: z
      .number()
      .int()
      .nullable()
      .describe('Requests through this key this minute; null when the key has no minute limit of its own'),
    requests_per_day: z.number().int().nullable(),
    requests_today: z
      .number()
      .int()
      .nullable()
      .describe('Requests through this key today (UTC); null when the key has no day limit of its own'),
  })
  .describe("The calling key's own usage and limits; present only when the key has limits");

/** `requests` are the key's own window counts, null for a window it does not limit. */
export function keyStandingView(
  key: ApiKeyRecord,
  used: number,
  requests: { minute: number | null; day: number | null },
): z.infer<typeof keyStandingSchema> {
  const limit = key.limits?.credits ?? null;
  return {
    id: key.id,
    name: key.name,
    owner: key.owner ?? null,
    credits_used: credits(used),
    credits_limit: credits(limit),
    credits_remaining: limit === null ? null : credits(Math.max(0, limit - used)),
    requests_per_minute: key.limits?.requestsPerMinute ?? null,
    requests_this_minute: requests.minute,
    requests_per_day: key.limits?.requestsPerDay ?? null,
    requests_today: requests.day,
  };
}

/** The audit entry of a key change (route and CLI alike): the key's name, owner and limits before and after. */
export function keyChangeAudit(
  before: ApiKeyRecord,
  after: ApiKeyRecord,
  actor: string,
  at: number,
): NewAuditEntry {
  const shown = (key: ApiKeyRecord) => ({
    name: key.name,
    owner: key.owner ?? null,
    limits: keyLimitsView(key.limits),
  });
  return {
    at,
    actor,
    action: 'api_key.updated',
    customerId: after.customerId,
    details: { keyId: after.id, prefix: after.prefix, before: shown(before), after: shown(after) },
  };
}
