/**
 * Mapping between domain records (camelCase, booleans, objects) and table rows (snake_case, 0/1,
 * JSON text). Shared by both stores: the row shapes are the same on SQLite and PostgreSQL.
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import { parseMetadata } from '../core/gate/event-metadata.js';
import type {
  AccountStatus,
  ApiKeyRecord,
  BillingInterval,
  Customer,
  CustomerPatch,
  KeyLimits,
  NewCustomer,
  UsageEvent,
} from '../core/ports.js';
import type { ApiKeysTable, CustomersTable, UsageEventsTable } from './database.js';

export function customerFromRow(row: Selectable<CustomersTable>): Customer {
  return {
    id: row.id,
    externalId: row.external_id,
    email: row.email,
    name: row.name,
    plan: row.plan,
    status: row.status as AccountStatus,
    billingInterval: row.billing_interval as BillingInterval | null,
    stripeCustomerId: row.stripe_customer_id,
    stripeSubscriptionId: row.stripe_subscription_id,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    trialEnd: row.trial_end,
    paymentFailedAt: row.payment_failed_at,
    cancelAtPeriodEnd: row.cancel_at_period_end === 1,
    storageBytes: row.storage_bytes,
    storageItems: row.storage_items,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The customer a NewCustomer becomes, with every default filled in. */
export function newCustomerRecord(input: NewCustomer): Customer {
  return {
    id: input.id,
    externalId: input.externalId ?? null,
    email: input.email ?? null,
    name: input.name ?? null,
    plan: input.plan,
    status: input.status ?? 'active',
    billingInterval: null,
    stripeCustomerId: null,
    stripeSubscriptionId: null,
    periodStart: null,
    periodEnd: null,
    trialEnd: null,
    paymentFailedAt: null,
    cancelAtPeriodEnd: false,
    storageBytes: 0,
    storageItems: 0,
    metadata: { ...(input.metadata ?? {}) },
    createdAt: input.createdAt,
    updatedAt: input.createdAt,
  };
}

export function customerToRow(customer: Customer): Insertable<CustomersTable> {
  return {
    id: customer.id,
    ...customerPatchToRow(customer),
    created_at: customer.createdAt,
  } as Insertable<CustomersTable>;
}

const patchColumns = {
  externalId: 'external_id',
  email: 'email',
  name: 'name',
  plan: 'plan',
  status: 'status',
  billingInterval: 'billing_interval',
  stripeCustomerId: 'stripe_customer_id',
  stripeSubscriptionId: 'stripe_subscription_id',
  periodStart: 'period_start',
  periodEnd: 'period_end',
  trialEnd: 'trial_end',
  paymentFailedAt: 'payment_failed_at',
  cancelAtPeriodEnd: 'cancel_at_period_end',
  storageBytes: 'storage_bytes',
  storageItems: 'storage_items',
  metadata: 'metadata',
  updatedAt: 'updated_at',
} as const satisfies Record<keyof CustomerPatch, keyof CustomersTable>;

/** Only the fields present in the patch; an explicit `undefined` leaves the column alone. */
export function customerPatchToRow(patch: CustomerPatch): Updateable<CustomersTable> {
  const row: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(patchColumns)) {
    const value = patch[field as keyof CustomerPatch];
    if (value === undefined) continue;
    if (field === 'cancelAtPeriodEnd') row[column] = value ? 1 : 0;
    else if (field === 'metadata') row[column] = JSON.stringify(value);
    else row[column] = value;
  }
  return row as Updateable<CustomersTable>;
}

export function apiKeyFromRow(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    hash: row.hash,
    prefix: row.prefix,
    name: row.name,
    owner: row.owner ?? null,
    limits: keyLimitsFromRow(row),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

/** Null when the key has no limit of any kind (the gate's fast path tests just that). */
function keyLimitsFromRow(row: Selectable<ApiKeysTable>): KeyLimits | null {
  const credits = row.credit_limit === null ? null : Number(row.credit_limit);
  const requestsPerMinute = row.requests_per_minute === null ? null : Number(row.requests_per_minute);
  const requestsPerDay = row.requests_per_day === null ? null : Number(row.requests_per_day);
  if (credits === null && requestsPerMinute === null && requestsPerDay === null) return null;
  return { credits, requestsPerMinute, requestsPerDay };
}

/** The limit columns of a key (all null for none). */
export function keyLimitsToRow(
  limits: KeyLimits | null | undefined,
): Pick<ApiKeysTable, 'credit_limit' | 'requests_per_minute' | 'requests_per_day'> {
  return {
    credit_limit: limits?.credits ?? null,
    requests_per_minute: limits?.requestsPerMinute ?? null,
    requests_per_day: limits?.requestsPerDay ?? null,
  };
}

export function apiKeyToRow(key: ApiKeyRecord): Insertable<ApiKeysTable> {
  return {
    id: key.id,
    customer_id: key.customerId,
    hash: key.hash,
    prefix: key.prefix,
    name: key.name,
    owner: key.owner ?? null,
    ...keyLimitsToRow(key.limits),
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    last_used_at: key.lastUsedAt,
  };
}

export function usageEventFromRow(row: Selectable<UsageEventsTable>): UsageEvent {
  return {
    id: row.id,
    customerId: row.customer_id,
    periodStart: row.period_start,
    operation: row.operation,
    quantity: row.quantity,
    cost: row.cost,
    overage: row.overage,
    usedAfter: row.used_after,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
    metadata: parseMetadata(row.metadata),
    // Only when set, like the events the engine makes (decideDebits).
    ...(row.key_id ? { keyId: row.key_id } : {}),
  };
}
