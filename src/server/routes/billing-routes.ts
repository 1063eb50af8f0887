/**
 * The customer's billing: the subscription, subscribe (the plan's trial, card or not), plan changes, cancel
 * and resume, Checkout and Portal sessions, invoices and payment methods. Customer-key routes, not
 * gated: a suspended account can still reach them to pay. The customer is always the key's.
 *
 * Every route here also accepts a billing session (the billing page opened from a dashboard link).
 *
 * Mutating routes accept an optional `Idempotency-Key` header: the same key replays the same Stripe
 * answer. Without one, keys are derived from the customer's billing state (docs/decisions/004).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { clientTokenPattern } from '../../core/billing/idempotency-keys.js';
import { invalidRequest } from '../../core/errors.js';
import type { Customer } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { BillingOutcome, BillingService } from '../../stripe/billing/billing-service.js';
import type { ApiRouter, CallerOf } from '../api-router.js';
import { auditBillingOutcome, customerActor } from '../billing-audit.js';
import { limitsSchema, limitsView } from '../plan-view.js';
import { accountStatusSchema } from '../usage-view.js';
import { isoTime, isoTimeSchema } from '../wire-format.js';

const intervalSchema = z.enum(['month', 'year']).describe('Billing interval; default month');
const tierSchema = z.string().min(1).max(64).describe('A plan id from the catalog');
const urlSchema = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .max(2000)
  .describe('An http(s) URL');
const paymentMethodSchema = z
  .string()
  .regex(/^(pm|tok|card)_[A-Za-z0-9_]{1,200}$/, 'expected a Stripe payment method id (pm_...)')
  .describe('A Stripe payment method id, e.g. from Stripe.js; attached and made the default');

const subscriptionSchema = z.object({
  customer_id: z.string(),
  customer_name: z.string().nullable().describe('The account the billing is for, as the app named it'),
  customer_email: z.string().nullable(),
  subscription_tier: z.string(),
  plan_name: z.string(),
  status: accountStatusSchema,
  billing_interval: intervalSchema.nullable(),
  subscription_id: z.string().nullable(),
  current_period_start: isoTimeSchema.nullable(),
  current_period_end: isoTimeSchema.nullable(),
  trial_end: isoTimeSchema.nullable(),
  cancel_at_period_end: z.boolean(),
  payment_failed_at: isoTimeSchema.nullable(),
  limits: limitsSchema,
});

const contractPriceSchema = z.object({
  plan: z.string(),
  interval: intervalSchema,
  amount: z.number().int().describe('Minor units per interval'),
  currency: z.string(),
});

const currentSubscriptionSchema = subscriptionSchema.extend({
  price: z
    .object({
      amount: z.number().int().describe('Minor units per interval'),
      currency: z.string(),
      interval: intervalSchema,
      contract: z.boolean().describe("True when it is the customer's negotiated price, not the catalog's"),
    })
    .nullable()
    .describe('What the current subscription bills per interval; null without one (or not known yet)'),
  contract_prices: z
    .array(contractPriceSchema)
    .describe(
      "The customer's negotiated prices: what subscribe, upgrade and Checkout charge it instead of the catalog's",
    ),
});

const outcomeSchema = z.object({
  action: z
    .enum([
      'create_subscription',
      'change_price',
      'cancel_at_period_end',
      'cancel_now',
      'undo_cancel',
      'resume_paused',
      'nothing',
    ])
    .describe('What was done; `nothing` when the request changed nothing (see `reason`)'),
  reason: z.string().nullable(),
  subscription: subscriptionSchema,
});

const changePreviewSchema = z.object({
  action: z
    .enum(['change_price', 'nothing'])
    .describe('What the upgrade call would do; `nothing` when it would change nothing (see `reason`)'),
  reason: z.string().nullable(),
  direction: z.enum(['upgrade', 'downgrade']).nullable(),
  proration_date: isoTimeSchema
    .nullable()
    .describe(
      'The instant it prorates as of: send it with the upgrade (within 15 minutes) to be charged this',
    ),
  due_now: z
    .boolean()
    .describe('True: `amount_due` is charged at once (an upgrade). False: it is the next invoice'),
  amount_due: z.number().int().describe('Minor units; 0 when nothing would change'),
  currency: z.string(),
  lines: z.array(
    z.object({
      description: z.string().nullable(),
      amount: z.number().int().describe('Minor units; negative for a credit'),
      proration: z.boolean().describe('A prorated charge or credit for the rest of the period'),
    }),
  ),
});

const invoiceSchema = z.object({
  id: z.string(),
  number: z.string().nullable(),
  status: z.string().nullable().describe('draft, open, paid, uncollectible or void'),
  currency: z.string(),
  amount_due: z.number().int().describe('Minor units'),
  amount_paid: z.number().int().describe('Minor units'),
  total: z.number().int().describe('Minor units'),
  created: isoTimeSchema,
  period_start: isoTimeSchema.nullable(),
  period_end: isoTimeSchema.nullable(),
  hosted_invoice_url: z.string().nullable(),
  invoice_pdf: z.string().nullable(),
  subscription_id: z.string().nullable(),
  billing_reason: z.string().nullable(),
});

const paymentMethodViewSchema = z.object({
  id: z.string(),
  brand: z.string().nullable(),
  last4: z.string().nullable(),
  exp_month: z.number().int().nullable(),
  exp_year: z.number().int().nullable(),
  default: z.boolean(),
});

function subscriptionView(tollgate: Tollgate, customer: Customer): z.input<typeof subscriptionSchema> {
  const access = tollgate.access(customer);
  return {
    customer_id: customer.id,
    customer_name: customer.name,
    customer_email: customer.email,
    subscription_tier: access.plan.id,
    plan_name: access.plan.name,
    status: access.status,
    billing_interval: customer.billingInterval,
    subscription_id: customer.stripeSubscriptionId,
    current_period_start: isoTime(customer.periodStart),
    current_period_end: isoTime(customer.periodEnd),
    trial_end: isoTime(customer.trialEnd),
    cancel_at_period_end: customer.cancelAtPeriodEnd,
    payment_failed_at: isoTime(customer.paymentFailedAt),
    limits: limitsView(access.plan.limits),
  };
}

/** The client's `Idempotency-Key` header, checked; null when absent. */
function clientKey(request: FastifyRequest): string | null {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return null;
  if (typeof header !== 'string' || !clientTokenPattern.test(header))
    throw invalidRequest([
      { path: 'idempotency-key', message: 'expected 1 to 100 letters, digits, "_", "-" or "."' },
    ]);
  return header;
}

const mutationErrors = ['not_found', 'conflict', 'payment_failed', 'payment_provider_unavailable'] as const;
const readErrors = ['not_found', 'payment_provider_unavailable'] as const;

export function registerBillingRoutes(router: ApiRouter, tollgate: Tollgate, billing: BillingService): void {
  /** The answer to a billing action, once the action is in the customer's audit trail. */
  const outcome = async (
    caller: CallerOf<'customer'>,
    request: FastifyRequest,
    result: BillingOutcome,
  ): Promise<z.input<typeof outcomeSchema>> => {
    const actor = customerActor(caller);
    const audited = await auditBillingOutcome(
      tollgate.store,
      tollgate.catalog,
      tollgate.clock.now(),
      actor,
      result,
    );
    if (audited)
      request.log.info({ audit: audited, customer_id: result.customer.id, actor }, 'billing action');
    return {
      action: result.action,
      reason: result.reason,
      subscription: subscriptionView(tollgate, result.customer),
    };
  };

  router.route({
    method: 'GET',
    url: '/api/v1/billing/subscription',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: "The customer's subscription as Tollgate mirrors it",
    description:
      'Answered from the local mirror (kept by billing calls and webhooks), so it works while Stripe is away. ' +
      '`price` is what the subscription bills; `contract_prices` the prices negotiated for this customer.',
    response: { description: 'The subscription', schema: currentSubscriptionSchema },
    async handler({ caller }) {
      const customer = await tollgate.getCustomer(caller.customerId);
      const [prices, subscription] = await Promise.all([
        tollgate.store.listCustomerPrices({ customerId: customer.id, includeRemoved: true }),
        customer.stripeSubscriptionId
          ? tollgate.store.getSubscription(customer.stripeSubscriptionId)
          : undefined,
      ]);
      const billed =
        subscription?.priceAmount != null && subscription.priceInterval
          ? {
              amount: subscription.priceAmount,
              currency: tollgate.catalog.currency,
              interval: subscription.priceInterval,
              contract: prices.some((price) => price.stripePriceId === subscription.priceId),
            }
          : null;
      return {
        ...subscriptionView(tollgate, customer),
        price: customer.stripeSubscriptionId === null ? null : billed,
        contract_prices: prices
          .filter((price) => price.removedAt === null)
          .map((price) => ({
            plan: price.planId,
            interval: price.interval,
            amount: price.amount,
            currency: price.currency,
          })),
      };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/subscribe',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'Subscribe to a plan',
    description:
      "Starts the plan's trial (its trial days, else STRIPE_TRIAL_PERIOD_DAYS), with or without " +
      '`payment_method_id`. Without a card the trial pauses at its end unless one was added; with a card ' +
      'Stripe charges it when the trial ends, and a failing card then enters dunning (past_due, grace, ' +
      'suspension). `trial: false` skips the trial: the card is charged at once (402 `payment_failed` ' +
      'when declined). One trial per customer: once one is over, a card is charged at once and a ' +
      'subscribe without one answers 409.',
    body: z.strictObject({
      tier: tierSchema,
      interval: intervalSchema.optional(),
      payment_method_id: paymentMethodSchema.optional(),
      trial: z
        .boolean()
        .optional()
        .describe("false skips the plan's trial (payment_method_id is then required); default true"),
    }),
    response: { description: 'The new subscription', schema: outcomeSchema },
    errors: mutationErrors,
    async handler({ caller, body, request }) {
      return outcome(
        caller,
        request,
        await billing.subscribe(
          caller.customerId,
          {
            planId: body.tier,
            ...(body.interval ? { interval: body.interval } : {}),
            paymentMethodId: body.payment_method_id ?? null,
            ...(body.trial === false ? { trial: false } : {}),
          },
          { idempotencyKey: clientKey(request) },
        ),
      );
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/upgrade',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'Change plan (up or down), prorated',
    description:
      'Takes effect now. An upgrade invoices the prorated difference at once; a downgrade credits the ' +
      'unused time on the next invoice. `interval` defaults to the current one.',
    body: z.strictObject({
      new_tier: tierSchema,
      interval: intervalSchema.optional(),
      proration_date: z.iso
        .datetime({ offset: true, error: "expected an ISO 8601 time, e.g. a preview's proration_date" })
        .optional()
        .describe(
          'The `proration_date` of POST /api/v1/billing/upgrade/preview (at most 15 minutes old): prorate as of it, so the charge is the previewed amount',
        ),
    }),
    response: { description: 'The changed subscription', schema: outcomeSchema },
    errors: mutationErrors,
    async handler({ caller, body, request }) {
      return outcome(
        caller,
        request,
        await billing.changePlan(
          caller.customerId,
          {
            planId: body.new_tier,
            ...(body.interval ? { interval: body.interval } : {}),
            ...(body.proration_date ? { prorationDate: Date.parse(body.proration_date) } : {}),
          },
          { idempotencyKey: clientKey(request) },
        ),
      );
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/upgrade/preview',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'What a plan change would charge, before making it',
    description:
      "Stripe's invoice preview of the same change `POST /api/v1/billing/upgrade` would make (same items, " +
      'same proration): for an upgrade the prorated amount charged at once, for a downgrade the next ' +
      'invoice with its credit. Changes nothing. The same refusals as the upgrade (404, 409, 400).',
    body: z.strictObject({ new_tier: tierSchema, interval: intervalSchema.optional() }),
    response: { description: 'The previewed invoice', schema: changePreviewSchema },
    errors: ['not_found', 'conflict', 'payment_provider_unavailable'] as const,
    async handler({ caller, body }) {
      const result = await billing.previewChangePlan(caller.customerId, {
        planId: body.new_tier,
        ...(body.interval ? { interval: body.interval } : {}),
      });
      const preview = result.preview;
      return {
        action: result.action,
        reason: result.reason,
        direction: result.direction,
        proration_date: isoTime(preview?.prorationDate ?? null),
        due_now: preview?.dueNow ?? false,
        amount_due: preview?.amountDue ?? 0,
        currency: preview?.currency ?? tollgate.catalog.currency,
        lines: preview?.lines ?? [],
      };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/cancel',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'Cancel the subscription',
    description:
      'At the period end by default (the plan stays until then); `immediate: true` returns to the free plan now.',
    body: z.strictObject({ immediate: z.boolean().optional() }),
    response: { description: 'The subscription after the cancellation', schema: outcomeSchema },
    errors: mutationErrors,
    async handler({ caller, body, request }) {
      return outcome(
        caller,
        request,
        await billing.cancel(
          caller.customerId,
          { immediate: body.immediate ?? false },
          { idempotencyKey: clientKey(request) },
        ),
      );
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/resume',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'Undo a pending cancellation, or resume a paused subscription',
    response: { description: 'The subscription', schema: outcomeSchema },
    errors: mutationErrors,
    async handler({ caller, request }) {
      return outcome(
        caller,
        request,
        await billing.resume(caller.customerId, { idempotencyKey: clientKey(request) }),
      );
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/checkout',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'Start a Stripe Checkout session for a plan',
    description: 'Open `url` in a browser; the plan applies once Stripe confirms the payment (webhook).',
    body: z.strictObject({
      tier: tierSchema,
      interval: intervalSchema.optional(),
      success_url: urlSchema,
      cancel_url: urlSchema,
    }),
    response: {
      description: 'The session',
      schema: z.object({ session_id: z.string(), url: z.string() }),
    },
    errors: mutationErrors,
    async handler({ caller, body, request }) {
      const session = await billing.startCheckout(
        caller.customerId,
        {
          planId: body.tier,
          ...(body.interval ? { interval: body.interval } : {}),
          successUrl: body.success_url,
          cancelUrl: body.cancel_url,
        },
        { idempotencyKey: clientKey(request) },
      );
      return { session_id: session.sessionId, url: session.url };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/billing/portal',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'Open the Stripe customer portal (cards, invoices, plan)',
    body: z.strictObject({ return_url: urlSchema }),
    response: { description: 'The portal link', schema: z.object({ url: z.string() }) },
    errors: mutationErrors,
    async handler({ caller, body, request }) {
      return billing.openPortal(
        caller.customerId,
        { returnUrl: body.return_url },
        { idempotencyKey: clientKey(request) },
      );
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/billing/invoices',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: "The customer's invoices, newest first",
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(100).optional().describe('At most this many; default 10'),
    }),
    response: {
      description: 'Invoices (amounts in minor units)',
      schema: z.object({ invoices: z.array(invoiceSchema) }),
    },
    errors: readErrors,
    async handler({ caller, query }) {
      const invoices = await billing.listInvoices(caller.customerId, query.limit ?? 10);
      return {
        invoices: invoices.map((invoice) => ({
          id: invoice.id,
          number: invoice.number,
          status: invoice.status,
          currency: invoice.currency,
          amount_due: invoice.amountDue,
          amount_paid: invoice.amountPaid,
          total: invoice.total,
          created: isoTime(invoice.createdAt),
          period_start: isoTime(invoice.periodStart),
          period_end: isoTime(invoice.periodEnd),
          hosted_invoice_url: invoice.hostedInvoiceUrl,
          invoice_pdf: invoice.invoicePdf,
          subscription_id: invoice.subscriptionId,
          billing_reason: invoice.billingReason,
        })),
      };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/billing/trial',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: 'Whether the customer can still start a free trial',
    description:
      'One trial per customer, with a card or without: false once a trial is over (ended, canceled or ' +
      'paused); then a subscription is charged at once and needs a card or Checkout. Asks Stripe.',
    response: {
      description: 'Trial availability',
      schema: z.object({ available: z.boolean() }),
    },
    errors: readErrors,
    async handler({ caller }) {
      return { available: await billing.trialAvailable(caller.customerId) };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/billing/payment-methods',
    access: 'customer',
    sessions: true,
    tag: 'billing',
    summary: "The customer's saved cards",
    response: {
      description: 'Cards: brand, last four digits, expiry, and which one invoices use',
      schema: z.object({ payment_methods: z.array(paymentMethodViewSchema) }),
    },
    errors: readErrors,
    async handler({ caller }) {
      const methods = await billing.listPaymentMethods(caller.customerId);
      return {
        payment_methods: methods.map((method) => ({
          id: method.id,
          brand: method.brand,
          last4: method.last4,
          exp_month: method.expMonth,
          exp_year: method.expYear,
          default: method.isDefault,
        })),
      };
    },
  });
}
