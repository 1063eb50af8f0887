/**
 * A customer's usage as the API answers it (GET /api/v1/usage, and per customer in the admin routes;
 * see src/server/usage-view.ts), for both pages. Credits are JSON numbers with at most 3 decimals
 * (exact), times ISO 8601 strings, and null means "no limit".
 */

import type { OperationsUsage } from './operation-limits';

export type AccountStatus = 'active' | 'trialing' | 'past_due' | 'suspended' | 'canceled';

/** The credit figures of the current period. */
export interface CreditUsage {
  subscription_tier: string;
  credits_used: number;
  monthly_limit: number | null;
  quota_remaining: number | null;
  usage_percentage: number | null;
  quota_exceeded: boolean;
  overage_used: number;
  period_start: string;
  period_end: string;
}

/** Credits, request windows, storage and where the account stands, as of now. */
export interface Usage extends CreditUsage {
  customer_id: string;
  status: AccountStatus;
  in_trial: boolean;
  trial_end_date: string | null;
  /** Days of trial left in billing time (follows a Stripe test clock), rounded up. */
  trial_days_left: number | null;
  grace_period_end: string | null;
  requests_this_minute: number | null;
  requests_per_minute_limit: number | null;
  requests_today: number | null;
  requests_per_day_limit: number | null;
  concurrent_requests_limit: number | null;
  storage_bytes: number;
  storage_bytes_limit: number | null;
  storage_items: number;
  storage_items_limit: number | null;
  /** Every operation by window (see lib/operation-limits); absent from answers of older servers. */
  operations?: OperationsUsage;
  /** The limits the customer's contract sets, in force now; absent from answers of older servers. */
  contract?: ContractLimit[];
  /** One-off grants usable now, spent before the plan quota; absent from answers of older servers. */
  grants?: UsageGrant[];
}

/** One override of the customer's contract, in the catalog's units (null = unlimited). */
export interface ContractLimit {
  /** `credits`, `requests_per_minute`, `operations.tokens.month`, `features.federation`, ... */
  key: string;
  value: unknown;
  plan_value: unknown;
  expires_at: string | null;
}

/** The meter ids (usage bars) whose limit the contract sets. */
export function contractMeterIds(contract: ContractLimit[] | undefined): Set<string> {
  const ids = new Set<string>();
  const scalar: Record<string, string> = {
    credits: 'credits',
    overage: 'credits',
    spending_cap: 'credits',
    requests_per_day: 'requests-day',
    requests_per_minute: 'requests-minute',
    storage_bytes: 'storage-bytes',
    storage_items: 'storage-items',
  };
  for (const { key } of contract ?? []) {
    const id = scalar[key];
    if (id !== undefined) ids.add(id);
    const [head, operation, window] = key.split('.');
    if (head === 'operations' && operation && window && window !== 'overage') {
      ids.add(`op-${operation}-${window}`.replace(/[^a-zA-Z0-9_-]/g, '-'));
    }
  }
  return ids;
}

/** A grant as the usage answer shows it: credits (operation null) or units of an operation. */
export interface UsageGrant {
  id: string;
  operation: string | null;
  amount: number;
  used: number;
  remaining: number;
  expires: 'period' | 'until_used';
  expires_at: string | null;
}
