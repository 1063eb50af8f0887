/**
 * Customers and API keys as the admin API shows them. A key's secret appears exactly once, in the
 * answer that issues it; afterwards only its id and prefix are shown (the store keeps only a hash).
 */
import { z } from 'zod';
import type { AccountAccess } from '../core/account.js';
import type { IssuedKey } from '../core/api-keys.js';
import type { ApiKeyRecord, Customer } from '../core/ports.js';
import { keyLimitsSchema, keyLimitsView } from './team-key-view.js';
import { accountStatusSchema } from './usage-view.js';
import { isoTime, isoTimeSchema } from './wire-format.js';

export const customerSchema = z.object({
  id: z.string(),
  external_id: z.string().nullable(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  plan: z.string().describe('The plan on record'),
  effective_plan: z.string().describe('The plan whose limits apply now (the default plan once canceled)'),
  status: accountStatusSchema.describe('As it stands now: past_due becomes suspended after the grace period'),
  stored_status: accountStatusSchema.describe(
    'The status on record (`status` is as it stands now, and list filters and sorting use that one)',
  ),
  billing_interval: z.enum(['month', 'year']).nullable(),
  stripe_customer_id: z.string().nullable(),
  stripe_subscription_id: z.string().nullable(),
  current_period_start: isoTimeSchema.nullable(),
  current_period_end: isoTimeSchema.nullable(),
  trial_end: isoTimeSchema.nullable(),
  payment_failed_at: isoTimeSchema.nullable(),
  cancel_at_period_end: z.boolean(),
  storage_bytes: z.number().int(),
  storage_items: z.number().int(),
  metadata: z.record(z.string(), z.string()),
  created_at: isoTimeSchema,
  updated_at: isoTimeSchema,
});

export const apiKeySchema = z.object({
  id: z.string(),
  customer_id: z.string().nullable().describe('null for an admin key'),
  prefix: z.string().describe('The first characters of the key, safe to show'),
  name: z.string().nullable(),
  owner: z.string().nullable().describe("Who holds the key: a member's email or user id"),
  limits: keyLimitsSchema,
  created_at: isoTimeSchema,
  revoked_at: isoTimeSchema.nullable(),
  last_used_at: isoTimeSchema.nullable(),
});

export const issuedKeySchema = apiKeySchema.extend({
  key: z.string().describe('The full key: shown this once, never again'),
});

export function customerView(customer: Customer, access: AccountAccess): z.infer<typeof customerSchema> {
  return {
    id: customer.id,
    external_id: customer.externalId,
    email: customer.email,
    name: customer.name,
    plan: customer.plan,
    effective_plan: access.plan.id,
    status: access.status,
    stored_status: customer.status,
    billing_interval: customer.billingInterval,
    stripe_customer_id: customer.stripeCustomerId,
    stripe_subscription_id: customer.stripeSubscriptionId,
    current_period_start: isoTime(customer.periodStart),
    current_period_end: isoTime(customer.periodEnd),
    trial_end: isoTime(customer.trialEnd),
    payment_failed_at: isoTime(customer.paymentFailedAt),
    cancel_at_period_end: customer.cancelAtPeriodEnd,
    storage_bytes: customer.storageBytes,
    storage_items: customer.storageItems,
    metadata: { ...customer.metadata },
    created_at: isoTime(customer.createdAt),
    updated_at: isoTime(customer.updatedAt),
  };
}

export function apiKeyView(record: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  return {
    id: record.id,
    customer_id: record.customerId,
    prefix: record.prefix,
    name: record.name,
    owner: record.owner ?? null,
    limits: keyLimitsView(record.limits),
    created_at: isoTime(record.createdAt),
    revoked_at: isoTime(record.revokedAt),
    last_used_at: isoTime(record.lastUsedAt),
  };
}

export function issuedKeyView(issued: IssuedKey): z.infer<typeof issuedKeySchema> {
  return { ...apiKeyView(issued.record), key: issued.key };
}
