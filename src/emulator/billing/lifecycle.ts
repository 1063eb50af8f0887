/**
 * Subscription lifecycle: invoicing a period, trial end, renewal, cancellation, and how payment outcomes
 * move a subscription between active, past_due, unpaid and canceled.
 *
 * Everything here runs at a given time (`at`), which is the test clock's time while a clock advances, so
 * a renewal due on day 30 is dated day 30 even when the clock jumps to day 40.
 */

import { changedFields, type Engine } from '../engine.js';
import { newId } from '../ids.js';
import { aggregateUsage } from '../resources/meters.js';
import { addInterval, snapshotOf } from '../shapes.js';
import type { Invoice, InvoiceLineItem, Price, Subscription } from '../types.js';
import {
  addInvoiceHooks,
  createInvoice,
  defaultPaymentMethodFor,
  finalizeInvoice,
  markUncollectible,
  payInvoice,
  pullPendingItems,
  recomputeTotals,
  voidInvoice,
} from './invoicing.js';
import { formatMoney, formatUsageRate, priceAmount } from './price-amount.js';
import { intervalOf, itemsOf, noteOf, periodOf, setPeriod } from './subscription-model.js';

/** Emits `customer.subscription.updated` with the fields that changed since `before`. */
export function emitUpdated(
  engine: Engine,
  subscription: Subscription,
  before: Record<string, unknown>,
): void {
  if (noteOf(engine, subscription).creating) return;
  const previous = changedFields(before, engine.view(subscription) as unknown as Record<string, unknown>);
  if (Object.keys(previous).length === 0) return;
  engine.emit('customer.subscription.updated', subscription, previous);
}

/** A before-snapshot in the rendered form, so item period changes show in `previous_attributes`. */
export function viewSnapshot(engine: Engine, subscription: Subscription): Record<string, unknown> {
  return snapshotOf(engine.view(subscription));
}

export interface InvoicePeriodOptions {
  reason: NonNullable<Invoice['billing_reason']>;
  /** Licensed items are billed in advance for this period. */
  periodStart: number;
  periodEnd: number;
  /** Metered items are billed in arrears for this past period. */
  usagePeriod?: { start: number; end: number };
  /** Finalize and charge now (creation, `always_invoice`) instead of after the one-hour draft window. */
  immediate: boolean;
  at: number;
  /** Bill licensed items for the new period (false when only prorations/usage are due). */
  includeLicensed?: boolean;
}

/** Creates the subscription's invoice for a period; returns it after payment was attempted (if immediate). */
export function invoiceSubscription(
  engine: Engine,
  subscription: Subscription,
  options: InvoicePeriodOptions,
): Invoice {
  const customer = engine.require('customer', String(subscription.customer));
  const invoice = createInvoice(engine, {
    customer,
    subscription: subscription.id,
    subscriptionMetadata: subscription.metadata,
    billingReason: options.reason,
    collectionMethod: subscription.collection_method,
    daysUntilDue: subscription.days_until_due,
    autoAdvance: true,
    periodStart: options.usagePeriod?.start ?? options.periodStart,
    periodEnd: options.usagePeriod?.end ?? options.periodStart,
    defaultPaymentMethod: null,
  });
  pullPendingItems(engine, invoice, subscription.id);
  for (const item of itemsOf(engine, subscription.id)) {
    const price = engine.get('price', item.price.id) ?? item.price;
    const productName = engine.get('product', productIdOf(price))?.name ?? productIdOf(price);
    const metered = price.recurring?.usage_type === 'metered';
    if (metered) {
      if (options.usagePeriod === undefined && options.includeLicensed === false) continue;
      const meter = price.recurring?.meter ? engine.get('billing.meter', price.recurring.meter) : undefined;
      const usage =
        options.usagePeriod && meter
          ? aggregateUsage(engine, meter, customer.id, options.usagePeriod.start, options.usagePeriod.end)
          : 0;
      invoice.lines.data.push(
        subscriptionLine(
          invoice,
          subscription.id,
          item.id,
          price,
          usage,
          priceAmount(price, usage),
          options.usagePeriod ?? { start: options.periodStart, end: options.periodEnd },
          productName,
        ),
      );
    } else if (options.includeLicensed !== false) {
      const quantity = item.quantity ?? 1;
      // A trial bills nothing for its period; Stripe still issues a zero invoice.
      const trial = subscription.status === 'trialing';
      if (trial) {
        const line = subscriptionLine(
          invoice,
          subscription.id,
          item.id,
          price,
          quantity,
          0,
          { start: options.periodStart, end: options.periodEnd },
          productName,
        );
        line.description = `Trial period for ${productName}`;
        invoice.lines.data.push(line);
        continue;
      }
      invoice.lines.data.push(
        subscriptionLine(
          invoice,
          subscription.id,
          item.id,
          price,
          quantity,
          priceAmount(price, quantity),
          { start: options.periodStart, end: options.periodEnd },
          productName,
        ),
      );
    }
  }
  recomputeTotals(engine, invoice);
  subscription.latest_invoice = invoice.id;
  engine.emit('invoice.created', invoice);
  // A preview shows the invoice as it would be created: a draft, nothing charged.
  if (engine.previewing) return invoice;
  const pause = subscription.pause_collection;
  if (pause && !options.immediate) {
    if (pause.behavior === 'keep_as_draft') {
      invoice.auto_advance = false;
    } else {
      finalizeInvoice(engine, invoice);
      if (invoice.status === 'open') {
        if (pause.behavior === 'void') voidInvoice(engine, invoice);
        else markUncollectible(engine, invoice);
      }
    }
    return invoice;
  }
  if (subscription.status === 'unpaid' && !options.immediate) {
    // Stripe keeps invoices of unpaid subscriptions as drafts until the customer pays the old ones.
    invoice.auto_advance = false;
    return invoice;
  }
  if (options.immediate) {
    finalizeInvoice(engine, invoice);
    if (invoice.status === 'open' && invoice.collection_method === 'charge_automatically') {
      payInvoice(engine, invoice, { automatic: true });
    }
  } else {
    invoice.automatically_finalizes_at = options.at + engine.settings.invoiceFinalizeDelaySeconds;
  }
  engine.store.touch();
  return invoice;
}

function subscriptionLine(
  invoice: Invoice,
  subscription: string,
  item: string,
  price: Price,
  quantity: number,
  amount: number,
  period: { start: number; end: number },
  productName: string,
): InvoiceLineItem {
  return {
    id: newId('il', 24),
    object: 'line_item',
    amount,
    currency: price.currency,
    description: lineDescription(price, price.nickname ?? productName, quantity),
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: invoice.id,
    livemode: false,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription,
        subscription_item: item,
      },
      type: 'subscription_item_details',
    },
    period,
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: price.id, product: productIdOf(price) },
      type: 'price_details',
      unit_amount_decimal: price.unit_amount_decimal,
    },
    quantity,
    quantity_decimal: String(quantity),
    subscription,
    subtotal: amount,
    taxes: [],
  };
}

export function hasPaymentMethod(engine: Engine, subscription: Subscription): boolean {
  if (typeof subscription.default_payment_method === 'string') return true;
  const customer = engine.get('customer', String(subscription.customer));
  return (
    typeof customer?.invoice_settings.default_payment_method === 'string' ||
    typeof customer?.default_source === 'string'
  );
}

export function cancelSubscriptionNow(
  engine: Engine,
  subscription: Subscription,
  reason: 'cancellation_requested' | 'payment_failed' | 'payment_disputed',
  at = engine.nowFor(subscription as never),
): void {
  subscription.status = 'canceled';
  subscription.canceled_at = subscription.canceled_at ?? at;
  subscription.ended_at = at;
  subscription.cancel_at_period_end = false;
  subscription.cancellation_details = {
    comment: subscription.cancellation_details?.comment ?? null,
    feedback: subscription.cancellation_details?.feedback ?? null,
    feedback_option: null,
    reason,
  };
  // Draft invoices of a canceled subscription are never finalized.
  for (const invoice of engine.store.all('invoice')) {
    if (
      invoice.parent?.subscription_details?.subscription === subscription.id &&
      invoice.status === 'draft'
    ) {
      invoice.auto_advance = false;
      invoice.automatically_finalizes_at = null;
    }
    if (invoice.parent?.subscription_details?.subscription === subscription.id && invoice.status === 'open') {
      invoice.next_payment_attempt = null;
    }
  }
  engine.store.touch();
  engine.emit('customer.subscription.deleted', subscription);
}

/** Ends the trial at `at`: pause, cancel or start billing, per `trial_settings.end_behavior`. */
export function endTrial(engine: Engine, subscription: Subscription, at: number, immediate: boolean): void {
  const before = viewSnapshot(engine, subscription);
  const missing = subscription.trial_settings?.end_behavior.missing_payment_method ?? 'create_invoice';
  subscription.trial_end = at;
  if (!hasPaymentMethod(engine, subscription) && missing !== 'create_invoice') {
    if (missing === 'cancel') {
      engine.store.touch();
      cancelSubscriptionNow(engine, subscription, 'cancellation_requested', at);
      return;
    }
    subscription.status = 'paused';
    engine.store.touch();
    emitUpdated(engine, subscription, before);
    engine.emit('customer.subscription.paused', subscription);
    return;
  }
  startPeriod(engine, subscription, at, before, 'subscription_cycle', immediate, undefined);
}

/** Starts a new billing period at `at` and invoices it. */
function startPeriod(
  engine: Engine,
  subscription: Subscription,
  at: number,
  before: Record<string, unknown>,
  reason: NonNullable<Invoice['billing_reason']>,
  immediate: boolean,
  usagePeriod: { start: number; end: number } | undefined,
): void {
  const { interval, count } = intervalOf(engine, subscription);
  const end = addInterval(at, interval, count);
  setPeriod(engine, subscription, at, end);
  if (subscription.status === 'trialing' || subscription.status === 'paused') subscription.status = 'active';
  const invoice = invoiceSubscription(engine, subscription, {
    reason,
    periodStart: at,
    periodEnd: end,
    usagePeriod,
    immediate,
    at,
  });
  subscription.latest_invoice = invoice.id;
  engine.store.touch();
  emitUpdated(engine, subscription, before);
}

export function renew(engine: Engine, subscription: Subscription, at: number): void {
  const before = viewSnapshot(engine, subscription);
  const { start, end } = periodOf(engine, subscription);
  startPeriod(engine, subscription, Math.max(end, at), before, 'subscription_cycle', false, { start, end });
}

/** Resumes a `paused` subscription (trial ended without a payment method), billing from `at`. */
export function resumeSubscription(engine: Engine, subscription: Subscription, at: number): void {
  const before = viewSnapshot(engine, subscription);
  subscription.status = 'active';
  engine.emit('customer.subscription.resumed', subscription);
  startPeriod(engine, subscription, at, before, 'subscription_cycle', true, undefined);
}

let hooksInstalled = false;

/** Connects invoice payment outcomes to subscription status. Safe to call more than once. */
export function installSubscriptionHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  addInvoiceHooks({
    paid(engine, invoice) {
      const subscription = subscriptionOf(engine, invoice);
      if (subscription === undefined) return;
      if (
        subscription.status === 'incomplete' ||
        subscription.status === 'past_due' ||
        subscription.status === 'unpaid'
      ) {
        const before = viewSnapshot(engine, subscription);
        subscription.status = 'active';
        engine.store.touch();
        emitUpdated(engine, subscription, before);
      }
    },
    failed(engine, invoice, finalAttempt) {
      const subscription = subscriptionOf(engine, invoice);
      if (subscription === undefined || subscription.status === 'canceled') return;
      if (subscription.status === 'incomplete') return;
      const before = viewSnapshot(engine, subscription);
      if (subscription.status === 'active' || subscription.status === 'trialing')
        subscription.status = 'past_due';
      engine.store.touch();
      emitUpdated(engine, subscription, before);
      if (!finalAttempt) return;
      const outcome = engine.settings.afterFinalRetry;
      if (outcome === 'cancel')
        cancelSubscriptionNow(engine, subscription, 'payment_failed', engine.nowFor(invoice as never));
      else if (outcome === 'unpaid') {
        const beforeUnpaid = viewSnapshot(engine, subscription);
        subscription.status = 'unpaid';
        engine.store.touch();
        emitUpdated(engine, subscription, beforeUnpaid);
      }
    },
  });
}

function subscriptionOf(engine: Engine, invoice: Invoice): Subscription | undefined {
  const id = invoice.parent?.subscription_details?.subscription;
  return typeof id === 'string' ? engine.get('subscription', id) : undefined;
}

export { defaultPaymentMethodFor };

/** Stripe's line wording: "1 × Pro (at USD 29.00 / month)"; a metered line states its usage rate. */
function lineDescription(price: Price, name: string, quantity: number): string {
  const interval = price.recurring?.interval ?? 'period';
  if (price.recurring?.usage_type === 'metered')
    return `${quantity.toLocaleString('en-US')} × ${name} (usage-based, ${formatUsageRate(price)} / ${interval})`;
  return `${quantity} × ${name} (at ${formatMoney(priceAmount(price, 1), price.currency)} / ${interval})`;
}

function productIdOf(price: Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id;
}
