/**
 * Invoices as a state machine: draft -> open -> paid | void | uncollectible, with the events Stripe
 * emits at each step, and the payment attempt that charges the customer's default payment method.
 *
 * Subscription logic reacts to payment outcomes through `InvoiceHooks`, which `lifecycle.ts` installs,
 * so this file does not import subscription code.
 */
import type { Engine } from '../engine.js';
import { invalidRequest, type StripeApiError } from '../errors.js';
import { newId } from '../ids.js';
import { chargeIntent, createPaymentIntent } from '../payments.js';
import { emptyAddress } from '../shapes.js';
import type { Customer, Invoice, InvoiceItem, InvoiceLineItem, PaymentIntent } from '../types.js';

export interface InvoiceNote extends Record<string, unknown> {
  paymentIntent: string;
  firstFailureAt: number;
  retriesDone: number;
  /** Retries are scheduled only for automatic collection of subscription invoices. */
  retrying: boolean;
}

export interface InvoiceHooks {
  paid(engine: Engine, invoice: Invoice): void;
  failed(engine: Engine, invoice: Invoice, finalAttempt: boolean): void;
}

const hooks: InvoiceHooks[] = [];

export function addInvoiceHooks(hook: InvoiceHooks): void {
  hooks.push(hook);
}

export interface NewInvoice {
  customer: Customer;
  subscription?: string | null;
  subscriptionMetadata?: Record<string, string>;
  billingReason: NonNullable<Invoice['billing_reason']>;
  collectionMethod?: Invoice['collection_method'];
  daysUntilDue?: number | null;
  description?: string | null;
  metadata?: Record<string, string>;
  autoAdvance?: boolean;
  periodStart?: number;
  periodEnd?: number;
  defaultPaymentMethod?: string | null;
  footer?: string | null;
}

export function createInvoice(engine: Engine, input: NewInvoice): Invoice {
  const { customer } = input;
  const now = engine.now(typeof customer.test_clock === 'string' ? customer.test_clock : null);
  const collection = input.collectionMethod ?? 'charge_automatically';
  const id = newId('in', 24);
  const invoice: Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Tollgate Emulator',
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: input.autoAdvance ?? false,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason,
    collection_method: collection,
    created: now,
    currency: 'usd',
    custom_fields: null,
    customer: customer.id,
    customer_account: null,
    customer_address: customer.address ?? null,
    customer_email: customer.email,
    customer_name: customer.name ?? null,
    customer_phone: customer.phone ?? null,
    customer_shipping: customer.shipping,
    customer_tax_exempt: customer.tax_exempt ?? 'none',
    customer_tax_ids: [],
    default_payment_method: input.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: input.description ?? null,
    discounts: [],
    due_date: collection === 'send_invoice' ? now + (input.daysUntilDue ?? 30) * 86_400 : null,
    effective_at: null,
    ending_balance: null,
    footer: input.footer ?? customer.invoice_settings.footer ?? null,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${id}/lines` },
    livemode: false,
    metadata: input.metadata ?? {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: input.subscription
      ? {
          quote_details: null,
          subscription_details: {
            metadata: input.subscriptionMetadata ?? {},
            subscription: input.subscription,
          },
          type: 'subscription_details',
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: input.periodEnd ?? now,
    period_start: input.periodStart ?? now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: {
      amount_tax_display: null,
      pdf: { page_size: 'auto' },
      template: null,
      template_version: null,
    },
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: customer.test_clock ?? null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: null,
  };
  if (invoice.customer_address === null && customer.address === undefined)
    invoice.customer_address = emptyAddress();
  // Stripe's example invoice (fixtures3.json) still carries the pre-2025 top-level `subscription`;
  // keep it, mirroring `parent.subscription_details.subscription`, for clients that read it.
  Object.assign(invoice, { subscription: input.subscription ?? null });
  engine.store.insert<'invoice'>(invoice);
  return invoice;
}

/** A line for an invoice item (one-off charges and prorations). */
export function lineFromInvoiceItem(item: InvoiceItem, invoiceId: string): InvoiceLineItem {
  const subscription = item.parent?.subscription_details?.subscription ?? null;
  return {
    id: newId('il', 24),
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discount_amounts: [],
    discountable: item.discountable,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: item.metadata ?? {},
    parent: {
      invoice_item_details: {
        invoice_item: item.id,
        proration: item.proration,
        proration_details: { credited_items: null },
        subscription,
      },
      subscription_item_details: null,
      type: 'invoice_item_details',
    },
    period: item.period,
    pretax_credit_amounts: [],
    pricing: item.pricing,
    quantity: item.quantity,
    quantity_decimal: item.quantity_decimal,
    subscription,
    subtotal: item.amount,
    taxes: [],
  };
}

/** Moves the customer's pending invoice items (optionally of one subscription) onto the invoice. */
export function pullPendingItems(engine: Engine, invoice: Invoice, subscription?: string | null): void {
  for (const item of engine.store.all('invoiceitem')) {
    if (item.customer !== invoice.customer || item.invoice !== null) continue;
    const itemSubscription = item.parent?.subscription_details?.subscription ?? null;
    if (subscription !== undefined && itemSubscription !== null && itemSubscription !== subscription)
      continue;
    item.invoice = invoice.id;
    invoice.lines.data.push(lineFromInvoiceItem(item, invoice.id));
  }
  recomputeTotals(engine, invoice);
}

export function recomputeTotals(engine: Engine, invoice: Invoice): void {
  const total = invoice.lines.data.reduce((sum, line) => sum + line.amount, 0);
  invoice.subtotal = total;
  invoice.subtotal_excluding_tax = total;
  invoice.total = total;
  invoice.total_excluding_tax = total;
  const customer =
    typeof invoice.customer === 'string' ? engine.get('customer', invoice.customer) : undefined;
  // A negative customer balance is credit; it is applied when the invoice is finalized.
  invoice.starting_balance = invoice.status === 'draft' ? (customer?.balance ?? 0) : invoice.starting_balance;
  invoice.amount_due = Math.max(0, total + Math.min(0, invoice.starting_balance));
  invoice.amount_remaining = Math.max(0, invoice.amount_due - invoice.amount_paid);
  engine.store.touch();
}

export function finalizeInvoice(engine: Engine, invoice: Invoice): Invoice {
  if (invoice.status !== 'draft') {
    throw invalidRequest(
      `This invoice is already finalized, you can't re-finalize a non-draft invoice.`,
      undefined,
      'invoice_not_editable',
    );
  }
  const now = engine.nowFor(invoice);
  recomputeTotals(engine, invoice);
  const customer =
    typeof invoice.customer === 'string' ? engine.get('customer', invoice.customer) : undefined;
  if (customer) {
    // Apply credit (negative balance) and carry any credit left over from a negative total.
    const balanceAfter = Math.min(0, invoice.total + customer.balance);
    invoice.ending_balance = invoice.total < 0 ? invoice.total + customer.balance : balanceAfter;
    customer.balance = invoice.ending_balance;
    const sequence = customer.next_invoice_sequence ?? 1;
    invoice.number = `${customer.invoice_prefix ?? 'EMU'}-${String(sequence).padStart(4, '0')}`;
    customer.next_invoice_sequence = sequence + 1;
  }
  invoice.status = 'open';
  invoice.effective_at = now;
  invoice.status_transitions.finalized_at = now;
  invoice.automatically_finalizes_at = null;
  invoice.hosted_invoice_url = `${engine.settings.publicUrl}/i/${invoice.id}`;
  invoice.invoice_pdf = `${engine.settings.publicUrl}/i/${invoice.id}/pdf`;
  invoice.amount_remaining = invoice.amount_due;
  if (invoice.amount_due > 0 && invoice.collection_method === 'charge_automatically') {
    const intent = createPaymentIntent(engine, {
      amount: invoice.amount_due,
      currency: invoice.currency,
      customer: typeof invoice.customer === 'string' ? invoice.customer : null,
      description: invoice.billing_reason === 'manual' ? invoice.description : 'Subscription update',
      metadata: {},
    });
    engine.store.setNote(invoice.id, { paymentIntent: intent.id });
  }
  engine.store.touch();
  engine.emit('invoice.finalized', invoice);
  if (invoice.amount_due === 0) markPaid(engine, invoice, undefined);
  return invoice;
}

export function invoiceIntent(engine: Engine, invoice: Invoice): PaymentIntent | undefined {
  const id = engine.store.note<InvoiceNote>(invoice.id).paymentIntent;
  return id === undefined ? undefined : engine.get('payment_intent', id);
}

/** The payment method an automatic charge uses: invoice, then subscription, then customer default. */
export function defaultPaymentMethodFor(engine: Engine, invoice: Invoice): string | null {
  if (typeof invoice.default_payment_method === 'string') return invoice.default_payment_method;
  const subscriptionId = invoice.parent?.subscription_details?.subscription;
  const subscription =
    typeof subscriptionId === 'string' ? engine.get('subscription', subscriptionId) : undefined;
  if (typeof subscription?.default_payment_method === 'string') return subscription.default_payment_method;
  const customer =
    typeof invoice.customer === 'string' ? engine.get('customer', invoice.customer) : undefined;
  if (typeof customer?.invoice_settings.default_payment_method === 'string')
    return customer.invoice_settings.default_payment_method;
  if (typeof customer?.default_source === 'string') return customer.default_source;
  return null;
}

export interface PayOptions {
  paymentMethod?: string | null;
  /** True when Stripe collects on its own (renewals, retries): failures schedule retries. */
  automatic: boolean;
}

/** Attempts payment; returns the card error on failure (the API answers it, automatic runs record it). */
export function payInvoice(
  engine: Engine,
  invoice: Invoice,
  options: PayOptions,
): StripeApiError | undefined {
  if (invoice.status === 'draft') {
    finalizeInvoice(engine, invoice);
    // A zero invoice is paid by finalizing it.
    if (invoice.status === 'paid') return undefined;
  }
  if (invoice.status === 'paid')
    throw invalidRequest('Invoice is already paid', undefined, 'invoice_already_paid');
  if (invoice.status === 'void')
    throw invalidRequest(
      'This invoice has been voided and cannot be paid.',
      undefined,
      'invoice_not_payable',
    );
  if (invoice.amount_remaining === 0) {
    markPaid(engine, invoice, undefined);
    return undefined;
  }
  const paymentMethod = options.paymentMethod ?? defaultPaymentMethodFor(engine, invoice);
  let intent = invoiceIntent(engine, invoice);
  if (intent === undefined || intent.status === 'succeeded' || intent.status === 'canceled') {
    intent = createPaymentIntent(engine, {
      amount: invoice.amount_remaining,
      currency: invoice.currency,
      customer: typeof invoice.customer === 'string' ? invoice.customer : null,
      description: invoice.description,
    });
    engine.store.setNote(invoice.id, { paymentIntent: intent.id });
  }
  invoice.attempted = true;
  invoice.attempt_count += 1;
  let error: StripeApiError | undefined;
  if (paymentMethod === null) {
    error = invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method.',
      undefined,
      'invoice_no_payment_method',
    );
  } else {
    intent.payment_method = paymentMethod;
    intent.status = 'requires_confirmation';
    error = chargeIntent(engine, intent);
  }
  if (error === undefined) {
    markPaid(engine, invoice, intent);
    return undefined;
  }
  recordFailure(engine, invoice, options.automatic);
  return error;
}

function recordFailure(engine: Engine, invoice: Invoice, automatic: boolean): void {
  const note = engine.store.note<InvoiceNote>(invoice.id);
  const now = engine.nowFor(invoice);
  const schedule = engine.settings.retryInvoicesSchedule;
  const isSubscription = invoice.parent?.subscription_details?.subscription != null;
  // Only automatic collection retries, so only its last failure triggers the after-retries outcome.
  let finalAttempt = false;
  if (automatic && isSubscription && invoice.collection_method === 'charge_automatically') {
    if (note.firstFailureAt === undefined) {
      note.firstFailureAt = now;
      note.retriesDone = 0;
    } else {
      note.retriesDone = (note.retriesDone ?? 0) + 1;
    }
    const nextOffset = schedule[note.retriesDone ?? 0];
    finalAttempt = nextOffset === undefined;
    invoice.next_payment_attempt = finalAttempt ? null : note.firstFailureAt + nextOffset! * 86_400;
  } else {
    invoice.next_payment_attempt = null;
  }
  engine.store.touch();
  engine.emit('invoice.payment_failed', invoice);
  engine.emit('invoice.updated', invoice, { attempt_count: invoice.attempt_count - 1 });
  for (const hook of hooks) hook.failed(engine, invoice, finalAttempt);
}

export function markPaid(engine: Engine, invoice: Invoice, intent: PaymentIntent | undefined): void {
  const now = engine.nowFor(invoice);
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.status = 'paid';
  invoice.status_transitions.paid_at = now;
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  if (intent === undefined) invoice.attempted = true;
  engine.store.touch();
  engine.emit('invoice.paid', invoice);
  engine.emit('invoice.payment_succeeded', invoice);
  for (const hook of hooks) hook.paid(engine, invoice);
}

export function voidInvoice(engine: Engine, invoice: Invoice): Invoice {
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidRequest(
      `You can only void open or uncollectible invoices. This invoice is ${invoice.status}.`,
      undefined,
      'invoice_not_editable',
    );
  }
  invoice.status = 'void';
  invoice.status_transitions.voided_at = engine.nowFor(invoice);
  invoice.next_payment_attempt = null;
  invoice.amount_remaining = 0;
  invoice.auto_advance = false;
  const intent = invoiceIntent(engine, invoice);
  if (intent && intent.status !== 'succeeded' && intent.status !== 'canceled') {
    intent.status = 'canceled';
    intent.canceled_at = engine.nowFor(invoice);
    intent.cancellation_reason = 'void_invoice';
    engine.emit('payment_intent.canceled', intent);
  }
  engine.store.touch();
  engine.emit('invoice.voided', invoice);
  return invoice;
}

export function markUncollectible(engine: Engine, invoice: Invoice): Invoice {
  if (invoice.status !== 'open') {
    throw invalidRequest(
      `You can only mark open invoices as uncollectible. This invoice is ${invoice.status}.`,
      undefined,
      'invoice_not_editable',
    );
  }
  invoice.status = 'uncollectible';
  invoice.status_transitions.marked_uncollectible_at = engine.nowFor(invoice);
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  engine.store.touch();
  engine.emit('invoice.marked_uncollectible', invoice);
  return invoice;
}

/** Marks the open invoice whose PaymentIntent was just confirmed by the client as paid. */
export function settleInvoiceForIntent(engine: Engine, intent: PaymentIntent): void {
  if (intent.status !== 'succeeded') return;
  for (const invoice of engine.store.all('invoice')) {
    if (invoice.status === 'open' && engine.store.note<InvoiceNote>(invoice.id).paymentIntent === intent.id) {
      invoice.attempted = true;
      invoice.attempt_count += 1;
      markPaid(engine, invoice, intent);
    }
  }
}
