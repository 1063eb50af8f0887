/**
 * Row types of the tables, as Kysely sees them. Columns are snake_case; times and credits are integers
 * (BIGINT on PostgreSQL, parsed to JS numbers; every value fits in 2^53). Booleans are stored as 0/1
 * integers on both databases so one row mapping serves both (better-sqlite3 cannot bind booleans).
 */
import type { Generated } from 'kysely';
import type { BillingEventTables } from './billing-event-tables.js';

export interface CustomersTable {
  id: string;
  external_id: string | null;
  email: string | null;
  name: string | null;
  plan: string;
  status: string;
  billing_interval: string | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  period_start: number | null;
  period_end: number | null;
  trial_end: number | null;
  payment_failed_at: number | null;
  cancel_at_period_end: number;
  storage_bytes: number;
  storage_items: number;
  /** JSON object of string values. */
  metadata: string;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  customer_id: string | null;
  hash: string;
  prefix: string;
  name: string | null;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
  /** Migration 012: the key's holder and its own limits (credits in milli-credits per period). */
  owner: string | null;
  credit_limit: number | null;
  requests_per_minute: number | null;
  requests_per_day: number | null;
}

export interface UsageEventsTable {
  id: string;
  customer_id: string;
  period_start: number;
  operation: string;
  quantity: number;
  cost: number;
  overage: number;
  used_after: number;
  idempotency_key: string | null;
  request_hash: string | null;
  occurred_at: number;
  recorded_at: number;
  /** JSON of the event's metadata, keys sorted (migration 008); null when none. */
  metadata: string | null;
  /** The API key it came through (migration 012); null when none. */
  key_id: string | null;
}

/** Credits used by one limited key in one credit period (migration 012). */
export interface KeyCountersTable {
  key_id: string;
  period_start: number;
  customer_id: string;
  used: number;
}

export interface UsageCountersTable {
  customer_id: string;
  period_start: number;
  used: number;
  overage: number;
  /** Held by reservations (migration 007). */
  held: Generated<number>;
}

/** Units of one operation in one window (migration 006). */
export interface OperationCountersTable {
  customer_id: string;
  operation: string;
  window_name: string;
  window_start: number;
  used: number;
  overage: number;
  held: Generated<number>;
}

/** Reservations and the counters they hold on (migration 007). */
export interface ReservationsTable {
  id: string;
  customer_id: string;
  operation: string;
  quantity: number;
  cost: number;
  period_start: number;
  credit_limit: number | null;
  included: number | null;
  windows: string;
  status: string;
  expires_at: number;
  created_at: number;
  settled_quantity: number | null;
  event_id: string | null;
  closed_at: number | null;
}

/** One-off grants (migration 011). */
export interface GrantsTable {
  id: string;
  customer_id: string;
  operation: string | null;
  amount: number;
  expires: string;
  expires_at: number | null;
  period_start: number;
  baseline: number;
  created_at: number;
  created_by: string | null;
  reason: string | null;
  idempotency_key: string;
  /** What makes a retry the same request (the engine's fingerprint of the grant's terms). */
  request_hash: string;
  revoked_at: number | null;
  revoked_by: string | null;
  revoked_amount: Generated<number>;
}

/** Overage to report to Stripe Billing Meters, one row per (customer, meter, window); see migration 003. */
export interface MeterOutboxTable {
  customer_id: string;
  meter: string;
  window_start: number;
  window_end: number;
  value: number;
  sent_value: Generated<number>;
  sending_value: number | null;
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: Generated<number>;
  claimed_until: Generated<number>;
  last_error: string | null;
  sent_at: number | null;
}

/** Stripe ids `tollgate plans push` recorded, per plan and kind (product, month, year, overage, meter). */
export interface StripeCatalogTable {
  plan_id: string;
  kind: string;
  stripe_id: string;
  updated_at: number;
}

/** One-time dashboard links and billing sessions, by token hash; see migration 004. */
export interface DashboardTokensTable {
  token_hash: string;
  customer_id: string;
  kind: string;
  expires_at: number;
  used_at: number | null;
  return_url: string | null;
  /** JSON: `{ embed, theme }`. */
  display: string;
  api_key_id: string | null;
  created_at: number;
}

/** The revenue report's figures per UTC day (YYYY-MM-DD). */
export interface RevenueSnapshotsTable {
  day: string;
  mrr: number;
  paying_customers: number;
  subscriptions: number;
  /** JSON object: plan id -> live subscriptions. */
  by_tier: string;
  updated_at: number;
}

/** A customer's negotiated price for a plan and interval (migration 010). */
export interface CustomerPricesTable {
  id: string;
  customer_id: string;
  plan_id: string;
  interval: string;
  amount: number;
  currency: string;
  stripe_price_id: string;
  reason: string | null;
  created_by: string;
  created_at: number;
  removed_by: string | null;
  removed_at: number | null;
}

export interface CustomerOverridesTable {
  customer_id: string;
  key: string;
  /** JSON: the value in the engine's units. */
  value: string;
  expires_at: number | null;
  reason: string | null;
  created_by: string;
  created_at: number;
  updated_by: string;
  updated_at: number;
}

export interface Database extends BillingEventTables {
  customer_overrides: CustomerOverridesTable;
  customer_prices: CustomerPricesTable;
  customers: CustomersTable;
  api_keys: ApiKeysTable;
  usage_events: UsageEventsTable;
  usage_counters: UsageCountersTable;
  operation_counters: OperationCountersTable;
  key_counters: KeyCountersTable;
  reservations: ReservationsTable;
  grants: GrantsTable;
  meter_outbox: MeterOutboxTable;
  stripe_catalog: StripeCatalogTable;
  dashboard_tokens: DashboardTokensTable;
  revenue_snapshots: RevenueSnapshotsTable;
}
