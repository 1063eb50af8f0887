/**
 * What Tollgate reads from Stripe's invoices, in one place: the mirrored `InvoiceRecord`, the
 * subscription an invoice bills, when its payment first failed. Webhook handlers and reconciliation
 * both use these, so an event and a re-read can never be read differently (subscriptions go through
 * the gateway's `subscriptionSnapshot`, the one mapping). Stripe's times are Unix seconds; ours ms.
 */
import type Stripe from 'stripe';
import type { InvoiceRecord, InvoiceStatus } from '../../core/billing/billing-records.js';

const ms = (seconds: number | null | undefined): number | null =>
  seconds === null || seconds === undefined ? null : seconds * 1000;

/** The id of an expandable field (`'cus_1'` or `{ id: 'cus_1', ... }`). */
export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}

/** The subscription an invoice bills, wherever this API version puts it. */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  const fromParent = idOf(invoice.parent?.subscription_details?.subscription ?? null);
  if (fromParent) return fromParent;
  // Older API versions (and the emulator's compatibility field) keep it at the top level.
  const legacy = (invoice as unknown as { subscription?: string | { id: string } | null }).subscription;
  return idOf(legacy ?? null);
}

/** An invoice as mirrored; `readAt` is when Stripe's state was read (the event's `created`, ms). */
export function invoiceRecordFromStripe(
  invoice: Stripe.Invoice,
  customerId: string | null,
  readAt: number,
): InvoiceRecord {
  return {
    id: invoice.id ?? '',
    customerId,
    stripeCustomerId: idOf(invoice.customer) ?? '',
    subscriptionId: invoiceSubscriptionId(invoice),
    status: (invoice.status ?? 'draft') as InvoiceStatus,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    currency: invoice.currency,
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    periodStart: ms(invoice.period_start),
    periodEnd: ms(invoice.period_end),
    paidAt: ms(invoice.status_transitions?.paid_at),
    created: (invoice.created ?? 0) * 1000,
    stripeUpdatedAt: readAt,
  };
}

/**
 * When the invoice's first payment attempt failed, as a time every delivery order agrees on: an
 * automatically charged invoice is first charged when it is finalized, so that is when grace starts;
 * otherwise the failure event's own time.
 */
export function firstFailureAt(invoice: Stripe.Invoice, eventCreated: number): number {
  const finalizedAt = ms(invoice.status_transitions?.finalized_at);
  if (invoice.collection_method === 'charge_automatically' && finalizedAt !== null) {
    return Math.min(finalizedAt, eventCreated);
  }
  return eventCreated;
}
