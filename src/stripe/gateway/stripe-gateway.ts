/**
 * The `PaymentGateway` on the official Stripe SDK: the only code that calls Stripe for customers,
 * subscriptions, Checkout, Portal, invoices and payment methods. Every mutating call carries the
 * caller's deterministic idempotency key; every failure leaves as a registry error (`callStripe`).
 *
 * Metadata set on Stripe objects, for webhook handlers and reconciliation to find their way back:
 * customers, subscriptions and Checkout sessions carry `tollgate_customer_id`; a subscription's
 * `tollgate_plan` is the plan it was created for (the price is the truth after a plan change);
 * sessions also carry `tollgate_plan` and `tollgate_interval`, and `client_reference_id` is the
 * Tollgate customer id.
 *
 * A plan with overage is sold as two items: the plan's licensed price and its metered overage price
 * (Stripe bills the meter's usage in arrears only through such an item). `licensedItem` finds the
 * plan item; a plan change sets the metered item to the new plan's (adds it, changes its price, or
 * deletes it) in the same update as the plan item. A plan that bills operations' overage carries one
 * more metered item per such operation, set the same way (`changedItems`).
 */
import type Stripe from 'stripe';
import type {
  InvoiceSummary,
  PaymentGateway,
  PaymentMethodSummary,
  PlanChangeCharge,
  PriceChange,
  PriceChangePreview,
} from '../../core/billing/payment-gateway.js';
import { effectiveSubscription } from '../../core/billing/subscription-state.js';
import { TollgateError } from '../../core/errors.js';
import { callStripe } from './stripe-errors.js';
import { licensedItem, meteredItems, subscriptionSnapshot } from './subscription-snapshot.js';

export interface StripeGatewayOptions {
  stripe: Stripe;
  /** STRIPE_TEST_CLOCK (or the demo's clock): every new Stripe customer is created on it. */
  testClock?: string | null;
}

const ms = (seconds: number | null | undefined): number | null =>
  seconds === null || seconds === undefined ? null : seconds * 1000;

function invoiceSummary(invoice: Stripe.Invoice): InvoiceSummary {
  const subscription = invoice.parent?.subscription_details?.subscription ?? null;
  return {
    id: invoice.id ?? '',
    number: invoice.number,
    status: invoice.status,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    amountPaid: invoice.amount_paid,
    total: invoice.total,
    createdAt: invoice.created * 1000,
    periodStart: ms(invoice.period_start),
    periodEnd: ms(invoice.period_end),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    invoicePdf: invoice.invoice_pdf ?? null,
    subscriptionId: typeof subscription === 'string' ? subscription : (subscription?.id ?? null),
    billingReason: invoice.billing_reason,
  };
}

/** The metered prices a new subscription or Checkout session carries: credit overage, then operations'. */
function meteredPriceIds(input: {
  overagePriceId: string | null;
  operationPriceIds?: readonly string[] | undefined;
}): string[] {
  return [...(input.overagePriceId ? [input.overagePriceId] : []), ...(input.operationPriceIds ?? [])];
}

/**
 * The `items` of a plan change: the plan item's new price, and the metered items set to the new
 * plan's: items already on one of its per-operation prices stay; the credit overage's item gets the
 * new plan's overage price (its price changed, or added) or is deleted when the new plan has none;
 * per-operation prices missing are added and other metered items deleted. `clear_usage` is not sent:
 * it has no effect on prices backed by a billing meter (the only metered prices since API version
 * 2025-03-31.basil); usage reported before the change is Stripe's to bill (decision 005).
 */
export function changedItems(
  subscription: Stripe.Subscription,
  licensedItemId: string,
  change: Pick<PriceChange, 'priceId' | 'overagePriceId' | 'operationPriceIds'>,
): Stripe.SubscriptionUpdateParams.Item[] {
  const { priceId, overagePriceId, operationPriceIds = [] } = change;
  const items: Stripe.SubscriptionUpdateParams.Item[] = [{ id: licensedItemId, price: priceId }];
  const metered = meteredItems(subscription).filter((candidate) => candidate.id !== licensedItemId);
  const staying = metered.filter((item) => operationPriceIds.includes(item.price.id));
  for (const price of operationPriceIds) {
    if (!staying.some((item) => item.price.id === price)) items.push({ price });
  }
  const others = metered.filter((item) => !staying.includes(item));
  // The credit-overage item is the one to switch in place; an operation's item (`plans push` marks its
  // price) would move to another meter, so it is deleted instead.
  const kept = others.find((item) => item.price.metadata?.tollgate_kind !== 'operation_overage');
  const extra = others.filter((item) => item !== kept);
  if (overagePriceId === null) {
    for (const old of others) items.push({ id: old.id, deleted: true });
    return items;
  }
  if (kept === undefined) items.push({ price: overagePriceId });
  else if (kept.price.id !== overagePriceId) items.push({ id: kept.id, price: overagePriceId });
  for (const old of extra) items.push({ id: old.id, deleted: true });
  return items;
}

/** Stripe marks a proration on the line's parent: an invoice item's or a subscription item's. */
function isProration(line: Stripe.InvoiceLineItem): boolean {
  const parent = line.parent;
  return (parent?.invoice_item_details?.proration ?? parent?.subscription_item_details?.proration) === true;
}

const prorationSeconds = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? {} : { proration_date: Math.floor(ms / 1000) };

function previewSummary(invoice: Stripe.Invoice, prorationDate: number | null): PriceChangePreview {
  return {
    prorationDate,
    currency: invoice.currency,
    amountDue: invoice.amount_due,
    // With always_invoice Stripe previews the invoice the update creates at once; otherwise the next one.
    dueNow: invoice.billing_reason === 'subscription_update',
    lines: invoice.lines.data.map((line) => ({
      description: line.description,
      amount: line.amount,
      proration: isProration(line),
    })),
  };
}

export function createStripeGateway(options: StripeGatewayOptions): PaymentGateway {
  const { stripe } = options;
  const testClock = options.testClock ?? null;

  const retrieve = (subscriptionId: string) =>
    callStripe(() => stripe.subscriptions.retrieve(subscriptionId));

  const gateway: PaymentGateway = {
    async createCustomerPrice(input) {
      const productId =
        input.productId ??
        (await callStripe(async () => {
          const product = (await stripe.prices.retrieve(input.catalogPriceId)).product;
          return typeof product === 'string' ? product : product.id;
        }));
      const price = await callStripe(() =>
        stripe.prices.create(
          {
            currency: input.currency,
            unit_amount: input.amount,
            recurring: { interval: input.interval },
            product: productId,
            nickname: `${input.planId} (${input.interval}ly) for ${input.customerId}`,
            // No lookup key: the catalog's own prices are found by theirs; this one is found by id.
            metadata: {
              tollgate_kind: 'customer_price',
              tollgate_customer_id: input.customerId,
              tollgate_plan: input.planId,
              tollgate_interval: input.interval,
            },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return price.id;
    },

    async createCustomer(customer, idempotencyKey) {
      const created = await callStripe(() =>
        stripe.customers.create(
          {
            ...(customer.email ? { email: customer.email } : {}),
            ...(customer.name ? { name: customer.name } : {}),
            metadata: { tollgate_customer_id: customer.id },
            ...(testClock ? { test_clock: testClock } : {}),
          },
          { idempotencyKey },
        ),
      );
      return created.id;
    },

    async attachDefaultPaymentMethod({ stripeCustomerId, paymentMethodId, idempotencyKey }) {
      const attached = await callStripe(
        () =>
          stripe.paymentMethods.attach(
            paymentMethodId,
            { customer: stripeCustomerId },
            { idempotencyKey: `${idempotencyKey}:attach` },
          ),
        'payment_method_id',
      );
      // A test id such as `pm_card_visa` attaches as a new `pm_...`: the default is the attached one.
      await callStripe(() =>
        stripe.customers.update(
          stripeCustomerId,
          { invoice_settings: { default_payment_method: attached.id } },
          { idempotencyKey: `${idempotencyKey}:default` },
        ),
      );
    },

    async createSubscription(input) {
      const metadata = { tollgate_customer_id: input.customerId, tollgate_plan: input.planId };
      const withCard = input.paymentMethodId !== null;
      const subscription = await callStripe(() =>
        stripe.subscriptions.create(
          {
            customer: input.stripeCustomerId,
            // A metered item takes no quantity: Stripe bills the meter's usage for the period.
            items: [{ price: input.priceId }, ...meteredPriceIds(input).map((price) => ({ price }))],
            metadata,
            ...(input.trialDays > 0
              ? {
                  trial_period_days: input.trialDays,
                  trial_settings: { end_behavior: { missing_payment_method: input.trialEndBehavior } },
                }
              : {}),
            // With a card the first invoice is paid now or the call fails with 402 and we record
            // nothing; no half-paid "incomplete" subscription is mirrored.
            ...(withCard ? { payment_behavior: 'error_if_incomplete' as const } : {}),
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      return subscriptionSnapshot(subscription);
    },

    async getSubscription(subscriptionId) {
      try {
        return subscriptionSnapshot(await stripe.subscriptions.retrieve(subscriptionId));
      } catch (error) {
        if ((error as { code?: string }).code === 'resource_missing') return undefined;
        return callStripe(() => Promise.reject(error));
      }
    },

    async findCurrentSubscription(stripeCustomerId) {
      const list = await callStripe(() =>
        stripe.subscriptions.list({ customer: stripeCustomerId, status: 'all', limit: 20 }),
      );
      // The one that speaks for the customer by the webhooks' rule (decision 008), ended ones aside.
      return effectiveSubscription(
        list.data
          .filter((subscription) => !['canceled', 'incomplete_expired'].includes(subscription.status))
          .map(subscriptionSnapshot),
      );
    },

    hadTrial(stripeCustomerId) {
      // Stripe keeps canceled subscriptions: a trial_start on one says a trial was given. A trial still
      // running does not count: it is the live subscription itself, or the one a retried request made
      // and will get back through its idempotency key.
      return callStripe(async () => {
        for await (const subscription of stripe.subscriptions.list({
          customer: stripeCustomerId,
          status: 'all',
          limit: 100,
        })) {
          if (typeof subscription.trial_start === 'number' && subscription.status !== 'trialing') return true;
        }
        return false;
      });
    },

    async changePrice(input) {
      const subscription = await retrieve(input.subscriptionId);
      const item = licensedItem(subscription);
      if (!item) throw new TollgateError('conflict', 'The subscription has no plan item to change.');
      const charged = input.proration === 'always_invoice';
      const items = changedItems(subscription, item.id, input);
      const deletes = items.some((change) => change.deleted === true);
      const updated = await callStripe(() =>
        stripe.subscriptions.update(
          input.subscriptionId,
          {
            items,
            proration_behavior: input.proration,
            ...prorationSeconds(input.prorationDate),
            // An upgrade takes effect only once its invoice is paid; Stripe keeps it as a pending
            // update otherwise (and refuses metadata changes alongside, so none are sent here).
            // A pending update cannot delete an item (only `items[].price`/`quantity`), so an upgrade
            // that drops the metered item uses `error_if_incomplete`: an unpaid invoice is a 402 and
            // the subscription is not updated, the same outcome.
            ...(charged
              ? {
                  payment_behavior: deletes
                    ? ('error_if_incomplete' as const)
                    : ('pending_if_incomplete' as const),
                  // The proration invoice comes back with the answer, so the charge is known (audit).
                  expand: ['latest_invoice'],
                }
              : {}),
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      if (updated.pending_update)
        throw new TollgateError('payment_failed', 'The upgrade invoice could not be paid.', {
          decline_code: 'payment_incomplete',
        });
      return { ...subscriptionSnapshot(updated), charge: charged ? chargeOf(updated.latest_invoice) : null };
    },

    async previewPriceChange(input) {
      const subscription = await retrieve(input.subscriptionId);
      const item = licensedItem(subscription);
      if (!item) throw new TollgateError('conflict', 'The subscription has no plan item to change.');
      // The same items and proration as changePrice sends, so the preview is what the change bills.
      const items = changedItems(subscription, item.id, input);
      const preview = await callStripe(() =>
        stripe.invoices.createPreview({
          subscription: input.subscriptionId,
          subscription_details: {
            items,
            proration_behavior: input.proration,
            ...prorationSeconds(input.prorationDate),
          },
        }),
      );
      return previewSummary(preview, input.prorationDate ?? null);
    },

    async setCancelAtPeriodEnd({ subscriptionId, cancel, idempotencyKey }) {
      const updated = await callStripe(() =>
        stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: cancel }, { idempotencyKey }),
      );
      return subscriptionSnapshot(updated);
    },

    async cancelNow({ subscriptionId, idempotencyKey }) {
      const canceled = await callStripe(() =>
        stripe.subscriptions.cancel(subscriptionId, {}, { idempotencyKey }),
      );
      return subscriptionSnapshot(canceled);
    },

    async resumePaused({ subscriptionId, idempotencyKey }) {
      const resumed = await callStripe(() =>
        stripe.subscriptions.resume(subscriptionId, {}, { idempotencyKey }),
      );
      return subscriptionSnapshot(resumed);
    },

    async createCheckoutSession(input) {
      const metadata = {
        tollgate_customer_id: input.customerId,
        tollgate_plan: input.planId,
        tollgate_interval: input.interval,
      };
      const session = await callStripe(() =>
        stripe.checkout.sessions.create(
          {
            mode: 'subscription',
            customer: input.stripeCustomerId,
            client_reference_id: input.customerId,
            line_items: [
              { price: input.priceId, quantity: 1 },
              // Metered line items take no quantity.
              ...meteredPriceIds(input).map((price) => ({ price })),
            ],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            metadata,
            subscription_data: {
              metadata: { tollgate_customer_id: input.customerId, tollgate_plan: input.planId },
            },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
      if (!session.url) throw new TollgateError('conflict', 'This Checkout session is no longer open.');
      return { id: session.id, url: session.url };
    },

    async createPortalSession({ stripeCustomerId, returnUrl, idempotencyKey }) {
      const session = await callStripe(() =>
        stripe.billingPortal.sessions.create(
          { customer: stripeCustomerId, return_url: returnUrl },
          { idempotencyKey },
        ),
      );
      return { url: session.url };
    },

    async listInvoices(stripeCustomerId, limit) {
      const list = await callStripe(() => stripe.invoices.list({ customer: stripeCustomerId, limit }));
      return list.data.map(invoiceSummary);
    },

    async listPaymentMethods(stripeCustomerId) {
      const [customer, methods] = await Promise.all([
        callStripe(() => stripe.customers.retrieve(stripeCustomerId)),
        callStripe(() => stripe.customers.listPaymentMethods(stripeCustomerId, { type: 'card', limit: 100 })),
      ]);
      const defaultMethod =
        'deleted' in customer && customer.deleted ? null : customer.invoice_settings.default_payment_method;
      const defaultId = typeof defaultMethod === 'string' ? defaultMethod : (defaultMethod?.id ?? null);
      return methods.data.map(
        (method): PaymentMethodSummary => ({
          id: method.id,
          brand: method.card?.brand ?? null,
          last4: method.card?.last4 ?? null,
          expMonth: method.card?.exp_month ?? null,
          expYear: method.card?.exp_year ?? null,
          isDefault: method.id === defaultId,
        }),
      );
    },
  };
  return gateway;
}

/** The invoice an upgrade paid at once, when Stripe answered with it expanded. */
function chargeOf(invoice: string | Stripe.Invoice | null): PlanChangeCharge | null {
  if (invoice === null || typeof invoice === 'string' || invoice.billing_reason !== 'subscription_update')
    return null;
  return { invoiceId: invoice.id ?? '', amountPaid: invoice.amount_paid, currency: invoice.currency };
}
