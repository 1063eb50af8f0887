/**
 * Row types of migration 002's tables (webhook inbox, audit log, invoice mirror, object versions), kept
 * beside `database.ts` so the billing queries own their rows. Times are epoch ms, money minor units.
 */

export interface WebhookEventsTable {
  id: string;
  type: string;
  created: number;
  received_at: number;
  status: string;
  attempts: number;
  last_error: string | null;
  processed_at: number | null;
  /** The verified event as received, JSON text. */
  payload: string;
}

export interface AuditLogTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  customer_id: string | null;
  /** JSON object. */
  details: string;
}

export interface InvoicesTable {
  id: string;
  customer_id: string | null;
  stripe_customer_id: string;
  subscription_id: string | null;
  status: string;
  amount_due: number;
  amount_paid: number;
  currency: string;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  period_start: number | null;
  period_end: number | null;
  paid_at: number | null;
  created: number;
  stripe_updated_at: number;
}

export interface StripeObjectVersionsTable {
  object_id: string;
  applied_at: number;
}

/** Migration 005's subscription mirror; `cancel_at_period_end` is 0 or 1 on both databases. */
export interface SubscriptionsTable {
  id: string;
  stripe_customer_id: string;
  status: string;
  price_id: string | null;
  current_period_start: number | null;
  current_period_end: number | null;
  trial_end: number | null;
  cancel_at_period_end: number;
  created: number;
  stripe_updated_at: number;
  /** Migration 010: what the plan item bills per `price_interval`; null when not known. */
  price_amount: number | null;
  price_interval: string | null;
}

export interface BillingEventTables {
  webhook_events: WebhookEventsTable;
  audit_log: AuditLogTable;
  invoices: InvoicesTable;
  stripe_object_versions: StripeObjectVersionsTable;
  subscriptions: SubscriptionsTable;
}
