/**
 * invoice.*: every invoice event updates the invoice mirror (admin invoices and revenue read it).
 * Payment outcomes drive dunning:
 * - payment_failed: past due, grace counting from the invoice's first failed attempt; "payment failed"
 *   is notified.
 * - paid / payment_succeeded: a failing account is served again. The subscription is read again from
 *   Stripe, so the new period (and its fresh quota) starts even when its own event is late. A payment
 *   that predates the account's current failure (an old invoice's late event) clears nothing.
 */
import type Stripe from 'stripe';
import { paymentFailedPatch, paymentSucceededPatch } from '../../../core/billing/subscription-state.js';
import type { Customer } from '../../../core/ports.js';
import { applySubscription } from '../apply-subscription.js';
import { firstFailureAt, idOf, invoiceRecordFromStripe, invoiceSubscriptionId } from '../stripe-snapshots.js';
import type { HandlerContext, HandlerResult, WebhookHandler } from '../webhook-context.js';

const failing = (customer: Customer) =>
  customer.paymentFailedAt !== null || customer.status === 'past_due' || customer.status === 'suspended';

async function paymentFailed(
  context: HandlerContext,
  customer: Customer,
  invoice: Stripe.Invoice,
): Promise<void> {
  const subscriptionId = invoiceSubscriptionId(invoice);
  // Only the customer's current subscription (or a one-off invoice) can put the account past due.
  if (
    subscriptionId !== null &&
    customer.stripeSubscriptionId !== null &&
    subscriptionId !== customer.stripeSubscriptionId
  )
    return;
  if (invoice.status === 'paid' || invoice.status === 'void') return;
  const failedAt = firstFailureAt(invoice, context.created);
  const patch = paymentFailedPatch(customer, failedAt);
  // The earliest failure wins whichever event told us first (delivery order must not move grace).
  if (patch.paymentFailedAt !== undefined && patch.paymentFailedAt !== null)
    patch.paymentFailedAt = Math.min(patch.paymentFailedAt, failedAt);
  const wasFailing = customer.paymentFailedAt !== null;
  await context.update(customer, patch);
  if (!wasFailing && customer.status !== 'canceled') {
    context.notify('payment_failed', customer.id, {
      invoiceId: invoice.id,
      amountDue: invoice.amount_due,
      currency: invoice.currency,
      hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
      graceEndsAt: failedAt + (context.deps.gracePeriodMs ?? 3 * 86_400_000),
    });
  }
}

async function paymentSucceeded(
  context: HandlerContext,
  customer: Customer,
  invoice: Stripe.Invoice,
): Promise<void> {
  if (!failing(customer)) return;
  const paidAt = (invoice.status_transitions?.paid_at ?? invoice.created) * 1000;
  if (customer.paymentFailedAt !== null && paidAt < customer.paymentFailedAt) return;
  let current = customer;
  const subscriptionId = invoiceSubscriptionId(invoice);
  if (subscriptionId !== null && subscriptionId === customer.stripeSubscriptionId) {
    const subscription = await context.deps.stripe.subscriptions.retrieve(subscriptionId);
    current = await applySubscription(context, customer, subscription);
  }
  await context.update(current, paymentSucceededPatch(current));
}

export const invoiceHandler: WebhookHandler = {
  types: [
    'invoice.created',
    'invoice.finalized',
    'invoice.paid',
    'invoice.payment_succeeded',
    'invoice.payment_failed',
    'invoice.voided',
    'invoice.marked_uncollectible',
  ],

  async handle(context: HandlerContext): Promise<HandlerResult> {
    const sent = context.event.data.object as Stripe.Invoice;
    const type = context.event.type;
    if (type === 'invoice.paid') context.deps.metrics?.recordPayment(true);
    if (type === 'invoice.payment_failed') context.deps.metrics?.recordPayment(false);
    const customer = await context.customerFor(idOf(sent.customer));
    const invoice = await context.current(sent, () => context.deps.stripe.invoices.retrieve(sent.id ?? ''));
    if (!invoice) return 'ignored';
    await context.store.upsertInvoice(
      invoiceRecordFromStripe(invoice, customer?.id ?? null, context.created),
    );
    if (customer) {
      // On a tie the invoice was read again: its state (paid, void) guards what the event name implies.
      if (invoice.status === 'paid' && (type === 'invoice.paid' || type === 'invoice.payment_succeeded'))
        await paymentSucceeded(context, customer, invoice);
      else if (type === 'invoice.payment_failed') await paymentFailed(context, customer, invoice);
    }
    await context.applied(invoice.id);
    return customer ? 'applied' : 'ignored';
  },
};
