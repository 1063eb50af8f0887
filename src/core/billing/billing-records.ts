/**
 * Records Tollgate keeps about billing besides the customer row: the Stripe webhook inbox, the audit
 * log, the invoice mirror and, per Stripe object, the time of the newest event applied to it. The
 * `Store` port (ports.ts) reads and writes them; these are its types. Times are epoch ms, money is
 * integer minor units.
 */
import type { CustomerPatch } from '../ports.js';
import type { SubscriptionRecord } from './subscription-state.js';

export type WebhookEventStatus = 'received' | 'processed' | 'failed';

export interface NewWebhookEvent {
  /** Stripe's event id (`evt_...`): the inbox's key, so a redelivery is recognised. */
  id: string;
  type: string;
  /** Stripe's `created` (test clock time for objects on a test clock), in ms. */
  created: number;
  receivedAt: number;
  /** The verified event as received (JSON text), kept so an event can be replayed. */
  payload: string;
}

export interface WebhookEventRecord extends NewWebhookEvent {
  status: WebhookEventStatus;
  /** Processing attempts finished (processed or failed). */
  attempts: number;
  lastError: string | null;
  processedAt: number | null;
}

export interface WebhookEventFilter {
  status?: WebhookEventStatus;
  type?: string;
  limit: number;
  /** Event id to continue after (the list is newest first: by created, then id, descending). */
  after?: string;
}

export interface WebhookEventOutcome {
  status: WebhookEventStatus;
  error?: string | null;
  at: number;
}

/**
 * One write a webhook handler made, held until its delivery commits (`Store.applyWebhookDelivery`).
 * Each does what the Store method of the same name does.
 */
export type WebhookWrite =
  | { kind: 'customer'; id: string; patch: CustomerPatch }
  | { kind: 'subscription'; subscription: SubscriptionRecord }
  | { kind: 'invoice'; invoice: InvoiceRecord }
  | { kind: 'version'; objectId: string; appliedAt: number }
  | { kind: 'audit'; entry: AuditEntry };

/**
 * A verified Stripe event and everything applying it wrote, committed as ONE transaction: the event
 * stored by id (or the stored row reused), the writes in order, and the event's status set to
 * `outcome` (`processed` and `failed` count one attempt, `received` none: the caller marks it later).
 */
export interface WebhookDelivery {
  event: NewWebhookEvent;
  writes: readonly WebhookWrite[];
  outcome: WebhookEventOutcome;
  /** Apply even when the stored event is processed (the admin's replay). */
  reapply?: boolean;
}

export interface NewAuditEntry {
  at: number;
  /** Who did it: `stripe` (a webhook), `reconcile`, `admin:<key id>`, `system`. */
  actor: string;
  /** What happened, dotted: `subscription.canceled`, `notification.suspended`, `customer.reactivated`. */
  action: string;
  customerId: string | null;
  details: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  /** Sorts by time of writing. */
  id: string;
}

export interface AuditFilter {
  customerId?: string;
  action?: string;
  /** Entries at or after this time. */
  since?: number;
  /** Entries before this time. */
  until?: number;
  limit: number;
  /** Entry id to continue after (newest first). */
  after?: string;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

/** A Stripe invoice as mirrored; amounts in minor units of `currency`. */
export interface InvoiceRecord {
  /** Stripe's invoice id. */
  id: string;
  /** The Tollgate customer, null while the Stripe customer is not linked to one. */
  customerId: string | null;
  stripeCustomerId: string;
  subscriptionId: string | null;
  status: InvoiceStatus;
  amountDue: number;
  amountPaid: number;
  currency: string;
  hostedInvoiceUrl: string | null;
  invoicePdf: string | null;
  periodStart: number | null;
  periodEnd: number | null;
  paidAt: number | null;
  created: number;
  /** When Stripe's state was read (the event's `created`): an older write never replaces a newer one. */
  stripeUpdatedAt: number;
}

export interface InvoiceFilter {
  customerId?: string;
  status?: InvoiceStatus;
  limit: number;
  /** Invoice id to continue after (newest first: by created, then id, descending). */
  after?: string;
}
