/**
 * The payment provider as the billing flows need it, in Tollgate's terms. The core owns this
 * interface; `src/stripe/gateway/` implements it on the Stripe SDK. Every method that changes
 * something takes the idempotency key the caller derived from the operation (see
 * `idempotency-keys.ts`), so a retried request can never do the thing twice.
 *
 * Failures are `TollgateError`s from the registry: a declined card is `payment_failed` (402, with
 * `decline_code`), the provider unreachable after retries is `payment_provider_unavailable` (503).
 */
import type { BillingInterval, Customer } from '../ports.js';
import type { SubscriptionSnapshot } from './subscription-state.js';

/** How the difference of a price change is billed. */
export type ProrationMode = 'always_invoice' | 'create_prorations';

/** What happens when a trial without a card ends: Stripe pauses or cancels the subscription. */
export type TrialEndBehavior = 'pause' | 'cancel';

export interface NewSubscription {
  stripeCustomerId: string;
  customerId: string;
  planId: string;
  priceId: string;
  /**
   * The plan's metered overage price, added as a second item so Stripe bills the meter's usage in
   * arrears; null when the plan has no overage (or is billed yearly: see decision 005).
   */
  overagePriceId: string | null;
  /**
   * The metered prices of the plan's operations with overage, one more item each (decision 005);
   * absent or empty when it has none (or is billed yearly).
   */
  operationPriceIds?: readonly string[];
  /** Days of trial; 0 = none (the first invoice is charged at once). */
  trialDays: number;
  trialEndBehavior: TrialEndBehavior;
  /** The payment method to attach and charge (at once, or when the trial ends); null for a trial without a card. */
  paymentMethodId: string | null;
  idempotencyKey: string;
}

export interface PriceChange {
  subscriptionId: string;
  customerId: string;
  planId: string;
  priceId: string;
  /**
   * The new plan's metered overage price: the subscription's metered item is set to it (added, or its
   * price changed), or removed when null.
   */
  overagePriceId: string | null;
  /**
   * The new plan's per-operation metered prices: the subscription keeps the items on these, adds the
   * missing ones and removes the metered items of operations the new plan does not bill.
   */
  operationPriceIds?: readonly string[];
  proration: ProrationMode;
  /**
   * Prorate as of this instant (epoch ms, whole seconds) instead of the provider's now: the instant
   * of the preview the customer saw, so the charge is the previewed amount. Null: now.
   */
  prorationDate?: number | null;
  idempotencyKey: string;
}

/** What a plan change charged at once: the proration invoice the provider issued for it, and paid. */
export interface PlanChangeCharge {
  invoiceId: string;
  /** Minor units. */
  amountPaid: number;
  currency: string;
}

/** The subscription after a plan change, and the charge it made (null when nothing was invoiced now). */
export type PriceChangeResult = SubscriptionSnapshot & { charge: PlanChangeCharge | null };

export interface NewCheckoutSession {
  stripeCustomerId: string;
  customerId: string;
  planId: string;
  interval: BillingInterval;
  priceId: string;
  /** The plan's metered overage price, a second line item (no quantity); null for none. */
  overagePriceId: string | null;
  /** The plan's per-operation metered prices, one more line item each (no quantity). */
  operationPriceIds?: readonly string[];
  successUrl: string;
  cancelUrl: string;
  idempotencyKey: string;
}

export interface InvoiceSummary {
  id: string;
  number: string | null;
  /** draft, open, paid, uncollectible or void. */
  status: string | null;
  currency: string;
  /** Minor units. */
  amountDue: number;
  amountPaid: number;
  total: number;
  /** Epoch ms. */
  createdAt: number;
  periodStart: number | null;
  periodEnd: number | null;
  hostedInvoiceUrl: string | null;
  invoicePdf: string | null;
  subscriptionId: string | null;
  billingReason: string | null;
}

/** What a price change would invoice, before it is made (the provider's invoice preview). */
export interface PriceChangePreview {
  /** The instant it prorates as of (epoch ms): pass it to `changePrice` to be charged this amount. */
  prorationDate: number | null;
  currency: string;
  /** Minor units: what the invoice asks for. */
  amountDue: number;
  /** Charged at once (an upgrade invoices now), or due with the next invoice (a downgrade's credit). */
  dueNow: boolean;
  lines: { description: string | null; amount: number; proration: boolean }[];
}

export interface PaymentMethodSummary {
  id: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  isDefault: boolean;
}

/** A customer's negotiated recurring price, to create on the plan's product (custom-prices.ts). */
export interface NewCustomerPriceAtProvider {
  customerId: string;
  planId: string;
  interval: BillingInterval;
  /** Minor units per interval. */
  amount: number;
  currency: string;
  /** The plan's product when known (`plans push` records it); else the catalog price's product. */
  productId: string | null;
  /** The plan's catalog price for the interval: the negotiated price goes on the same product. */
  catalogPriceId: string;
  idempotencyKey: string;
}

export interface PaymentGateway {
  /** Creates a customer's negotiated recurring price; returns its id. */
  createCustomerPrice(input: NewCustomerPriceAtProvider): Promise<string>;
  /** Creates the provider's customer for a Tollgate customer; returns its id. */
  createCustomer(customer: Customer, idempotencyKey: string): Promise<string>;
  /** Attaches a payment method to the customer and makes it the default for invoices. */
  attachDefaultPaymentMethod(input: {
    stripeCustomerId: string;
    paymentMethodId: string;
    idempotencyKey: string;
  }): Promise<void>;
  createSubscription(input: NewSubscription): Promise<SubscriptionSnapshot>;
  /** The subscription as the provider has it now, or undefined when it does not exist. */
  getSubscription(subscriptionId: string): Promise<SubscriptionSnapshot | undefined>;
  /** The customer's most recent subscription that is not over (canceled or expired), if any. */
  findCurrentSubscription(stripeCustomerId: string): Promise<SubscriptionSnapshot | undefined>;
  /** Whether a subscription of the customer had a trial that is over (ended, canceled or paused). */
  hadTrial(stripeCustomerId: string): Promise<boolean>;
  changePrice(input: PriceChange): Promise<PriceChangeResult>;
  /** The invoice `changePrice` with the same input would make, computed by the provider; changes nothing. */
  previewPriceChange(input: Omit<PriceChange, 'idempotencyKey'>): Promise<PriceChangePreview>;
  setCancelAtPeriodEnd(input: {
    subscriptionId: string;
    cancel: boolean;
    idempotencyKey: string;
  }): Promise<SubscriptionSnapshot>;
  cancelNow(input: { subscriptionId: string; idempotencyKey: string }): Promise<SubscriptionSnapshot>;
  /** Resumes a paused subscription (after a trial ended without a card), billing from now. */
  resumePaused(input: { subscriptionId: string; idempotencyKey: string }): Promise<SubscriptionSnapshot>;
  createCheckoutSession(input: NewCheckoutSession): Promise<{ id: string; url: string }>;
  createPortalSession(input: {
    stripeCustomerId: string;
    returnUrl: string;
    idempotencyKey: string;
  }): Promise<{ url: string }>;
  /** Newest first. */
  listInvoices(stripeCustomerId: string, limit: number): Promise<InvoiceSummary[]>;
  listPaymentMethods(stripeCustomerId: string): Promise<PaymentMethodSummary[]>;
}
