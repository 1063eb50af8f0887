/**
 * The admin API's answers as the console reads them (see src/server/routes/admin-routes.ts,
 * admin-billing-routes.ts, customer-view.ts and usage-view.ts). Money is integer minor units, credits
 * are JSON numbers with at most 3 decimals, times ISO 8601 strings.
 */

import type { AccountStatus, CreditUsage, Usage } from '../lib/usage-types';

export type { AccountStatus, CreditUsage, Usage };
export const accountStatuses: AccountStatus[] = ['active', 'trialing', 'past_due', 'suspended', 'canceled'];

export interface Customer {
  id: string;
  external_id: string | null;
  email: string | null;
  name: string | null;
  plan: string;
  effective_plan: string;
  status: AccountStatus;
  stored_status: AccountStatus;
  billing_interval: 'month' | 'year' | null;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  current_period_start: string | null;
  current_period_end: string | null;
  trial_end: string | null;
  payment_failed_at: string | null;
  cancel_at_period_end: boolean;
  storage_bytes: number;
  storage_items: number;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export type CustomerRow = Customer & { usage: CreditUsage };

export interface CustomerPage {
  data: CustomerRow[];
  has_more: boolean;
  next_starting_after: string | null;
}

export interface ApiKey {
  id: string;
  customer_id: string | null;
  prefix: string;
  name: string | null;
  owner: string | null;
  limits: KeyLimits | null;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  /** This credit period (on the customer's detail only). */
  usage?: { credits_used: number; events: number };
}

/** A team key's own limits (docs/decisions/015); null fields: none of that kind. */
export interface KeyLimits {
  credits: number | null;
  requests_per_minute: number | null;
  requests_per_day: number | null;
}

export type IssuedKey = ApiKey & { key: string };

export interface CustomerDetail {
  customer: Customer;
  usage: Usage;
  api_keys: ApiKey[];
  /** Absent from answers of older servers. */
  overrides?: CustomerOverride[];
}

/** One override of the customer's plan (GET /api/v1/admin/customers/:id/overrides), catalog units. */
export interface CustomerOverride {
  key: string;
  value: unknown;
  plan_value: unknown;
  expires_at: string | null;
  in_force: boolean;
  reason: string | null;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
export const invoiceStatuses: InvoiceStatus[] = ['draft', 'open', 'paid', 'void', 'uncollectible'];

export interface Invoice {
  id: string;
  customer_id: string | null;
  stripe_customer_id: string;
  subscription_id: string | null;
  status: InvoiceStatus;
  amount_due: number;
  amount_paid: number;
  currency: string;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
  period_start: string | null;
  period_end: string | null;
  paid_at: string | null;
  created: string;
}

export type WebhookStatus = 'received' | 'processed' | 'failed';
export const webhookStatuses: WebhookStatus[] = ['received', 'processed', 'failed'];

export interface WebhookEvent {
  id: string;
  type: string;
  created: string;
  received_at: string;
  status: WebhookStatus;
  attempts: number;
  last_error: string | null;
  processed_at: string | null;
}

/** The shape of the invoice, event and audit lists: a page and whether more follow. */
export interface ListPage<T> {
  data: T[];
  has_more: boolean;
}

export interface Revenue {
  currency: string;
  mrr: number;
  arpu: number;
  paying_customers: number;
  subscriptions_by_tier: Record<string, number>;
  churn: { canceled: number; base: number; rate_bps: number };
  trial_conversion: { converted: number; ended: number; rate_bps: number };
  window_days: number;
}

export interface RevenueHistory {
  currency: string;
  mrr: { date: string; mrr: number; paying_customers: number; subscriptions: number }[];
  collected: { month: string; amount: number }[];
}

export interface Plan {
  id: string;
  name: string;
  currency: string;
  prices: { month: number | null; year: number | null };
}

export interface PlanCatalog {
  currency: string;
  plans: Plan[];
}
