/**
 * The billing flows: subscribe, change plan, cancel, resume, Checkout, Portal, invoices and payment
 * methods. Each flow runs in phases: read (the customer, and the subscription as Stripe has it now),
 * plan (`planChange`, pure), then act (one gateway call) and record. Limits change the moment Stripe
 * confirms: the subscription Stripe answers with is mirrored and the customer derived from all its
 * subscriptions through `customerSubscriptionPatch`, the same rule the webhook handlers use, so their
 * later confirmation changes nothing.
 *
 * Nothing is recorded before Stripe answers: a declined card (402) or Stripe out of reach (503) leaves
 * the customer as it was. The one exception is the Stripe customer id, recorded as soon as the Stripe
 * customer exists, so no flow ever creates a second one.
 *
 * A monthly subscription to a plan with overage carries the plan's metered price as a second item
 * (`overagePrice`), so Stripe invoices the overage the meter sender reports (decision 005).
 */

import { withCustomerPrices } from '../../core/billing/custom-prices.js';
import { idempotencyKeys as keys, sessionToken, stateToken } from '../../core/billing/idempotency-keys.js';
import type {
  InvoiceSummary,
  PaymentGateway,
  PaymentMethodSummary,
  PlanChangeCharge,
  PriceChangePreview,
  TrialEndBehavior,
} from '../../core/billing/payment-gateway.js';
import { type BillingAction, type BillingIntent, planChange } from '../../core/billing/plan-change.js';
import { mirroredSubscriptions, mirrorReadSubscription } from '../../core/billing/subscription-mirror.js';
import {
  customerSubscriptionPatch,
  type PriceIndex,
  type SubscriptionSnapshot,
} from '../../core/billing/subscription-state.js';
import { invalidRequest, TollgateError } from '../../core/errors.js';
import type { BillingInterval, Customer } from '../../core/ports.js';
import type { Tollgate } from '../../core/tollgate.js';
import { type CustomerPrices, createCustomerPrices } from './customer-prices.js';

export interface BillingServiceOptions {
  tollgate: Tollgate;
  gateway: PaymentGateway;
  /**
   * Price id -> plan and interval; read on every flow, so prices pushed later are seen. The
   * customer's own negotiated prices are added to it on each flow (custom-prices.ts).
   */
  prices: () => PriceIndex | Promise<PriceIndex>;
  /**
   * A plan's metered overage price (the pushed catalog's, or STRIPE_METERED_PRICE_ID); read on every
   * flow. Absent or null: subscriptions carry the plan's licensed price only.
   */
  overagePrice?: (planId: string) => string | null | undefined;
  /** The metered prices of a plan's operations with overage (`operationPricesLookup`). */
  operationPrices?: (planId: string) => readonly string[];
  /** STRIPE_TRIAL_PERIOD_DAYS: the trial of plans that declare none. */
  defaultTrialDays: number;
  /** What a trial without a card becomes at its end; default `pause` (see decision 004). */
  trialEndBehavior?: TrialEndBehavior;
}

/** The client's `Idempotency-Key`, when it sent one; otherwise keys come from the billing state. */
export interface BillingRequestOptions {
  idempotencyKey?: string | null;
}

export interface BillingOutcome {
  /** What was done: the planned action's kind (`nothing` when the request changed nothing). */
  action: Exclude<BillingAction['kind'], 'refuse' | 'start_checkout'>;
  /** Why nothing was done, for `nothing`. */
  reason: string | null;
  customer: Customer;
  /** The customer before the flow, for the audit trail's before/after. */
  before: Customer;
  /** What a plan change charged at once (the prorated difference of an upgrade), when it did. */
  charge: PlanChangeCharge | null;
  /** A plan change's direction, by the amounts the customer pays (negotiated prices included). */
  direction?: 'upgrade' | 'downgrade';
}

export interface BillingService {
  readonly gateway: PaymentGateway;
  /** Customers' negotiated prices: set (creating the Stripe price), list, remove. */
  readonly customerPrices: CustomerPrices;
  /** The action a request would take, without doing it (a dry run). */
  preview(customerId: string, intent: BillingIntent): Promise<BillingAction>;
  subscribe(
    customerId: string,
    input: { planId: string; interval?: BillingInterval; paymentMethodId?: string | null; trial?: boolean },
    options?: BillingRequestOptions,
  ): Promise<BillingOutcome>;
  /**
   * `prorationDate` (epoch ms): a preview's instant from the last `PRORATION_DATE_MAX_AGE_MS`, so the
   * change is charged what the preview showed.
   */
  changePlan(
    customerId: string,
    input: { planId: string; interval?: BillingInterval; prorationDate?: number },
    options?: BillingRequestOptions,
  ): Promise<BillingOutcome>;
  /**
   * What `changePlan` with the same input would do and invoice, from Stripe's invoice preview; changes
   * nothing. `preview` is null when the change would do nothing (see `reason`).
   */
  previewChangePlan(
    customerId: string,
    input: { planId: string; interval?: BillingInterval },
  ): Promise<{
    action: 'change_price' | 'nothing';
    reason: string | null;
    direction: 'upgrade' | 'downgrade' | null;
    preview: PriceChangePreview | null;
  }>;
  cancel(
    customerId: string,
    input: { immediate: boolean },
    options?: BillingRequestOptions,
  ): Promise<BillingOutcome>;
  resume(customerId: string, options?: BillingRequestOptions): Promise<BillingOutcome>;
  startCheckout(
    customerId: string,
    input: { planId: string; interval?: BillingInterval; successUrl: string; cancelUrl: string },
    options?: BillingRequestOptions,
  ): Promise<{ sessionId: string; url: string }>;
  openPortal(
    customerId: string,
    input: { returnUrl: string },
    options?: BillingRequestOptions,
  ): Promise<{ url: string }>;
  listInvoices(customerId: string, limit: number): Promise<InvoiceSummary[]>;
  listPaymentMethods(customerId: string): Promise<PaymentMethodSummary[]>;
  /** Whether a subscribe would still start a trial (card or not): one trial per customer. */
  trialAvailable(customerId: string): Promise<boolean>;
  /** The Stripe customer id, creating the Stripe customer on first need. */
  ensureStripeCustomer(customerId: string): Promise<string>;
  /** Applies a subscription as Stripe has it to its customer (limits change now). */
  applySubscription(customerId: string, snapshot: SubscriptionSnapshot): Promise<Customer>;
  /**
   * Reads the customer's current subscription back from Stripe and applies it: after Checkout, or
   * whenever a webhook may have been missed.
   */
  refresh(customerId: string): Promise<Customer>;
}

/**
 * How old a preview's proration date may be when the change is confirmed. Short, because the caller
 * chooses it: an old one would prorate as if the change had been made long ago.
 */
export const PRORATION_DATE_MAX_AGE_MS = 15 * 60_000;

function refusal(action: Extract<BillingAction, { kind: 'refuse' }>): TollgateError {
  if (action.code === 'conflict') return new TollgateError('conflict', action.message);
  return invalidRequest([{ path: action.path ?? '', message: action.message }]);
}

export function createBillingService(options: BillingServiceOptions): BillingService {
  const { tollgate, gateway } = options;
  const trialEndBehavior = options.trialEndBehavior ?? 'pause';
  const now = () => tollgate.clock.now();
  // One billing flow at a time per customer in this process: two clicks on "upgrade" plan against
  // the same state and send the same idempotency key instead of racing.
  const running = new Map<string, Promise<unknown>>();

  function serialized<T>(customerId: string, flow: () => Promise<T>): Promise<T> {
    const previous = running.get(customerId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(flow);
    running.set(customerId, next);
    void next
      .catch(() => {})
      .finally(() => {
        if (running.get(customerId) === next) running.delete(customerId);
      });
    return next;
  }

  /** The customer as stored now (not the gate's one-second cache: billing decides on fresh state). */
  async function readCustomer(customerId: string): Promise<Customer> {
    const customer = await tollgate.store.getCustomer(customerId);
    if (!customer) throw new TollgateError('not_found', `No customer '${customerId}'.`);
    return customer;
  }

  /**
   * The price index with every negotiated price the customer ever had, so its subscription is known
   * whichever of them it is on, and its active ones (sold instead of the catalog's).
   */
  async function pricesOf(customerId: string) {
    const history = await tollgate.store.listCustomerPrices({ customerId, includeRemoved: true });
    return {
      prices: withCustomerPrices(await options.prices(), history),
      customerPrices: history.filter((price) => price.removedAt === null),
    };
  }

  async function readState(customerId: string) {
    const customer = await readCustomer(customerId);
    const [subscription, { prices, customerPrices }] = await Promise.all([
      customer.stripeSubscriptionId
        ? gateway.getSubscription(customer.stripeSubscriptionId).then((found) => found ?? null)
        : Promise.resolve(null),
      pricesOf(customerId),
    ]);
    return {
      customer,
      subscription,
      catalog: tollgate.catalog,
      prices,
      customerPrices,
      ...(options.overagePrice ? { overagePrice: options.overagePrice } : {}),
      ...(options.operationPrices ? { operationPrices: options.operationPrices } : {}),
    };
  }

  /**
   * Mirrors the subscription Stripe answered with, then applies the customer's effective subscription
   * among all of its Stripe customer's (decision 008), as the webhooks do.
   */
  async function applySubscription(customerId: string, snapshot: SubscriptionSnapshot): Promise<Customer> {
    const customer = await readCustomer(customerId);
    await mirrorReadSubscription(tollgate.store, snapshot);
    const subscriptions = await mirroredSubscriptions(
      tollgate.store,
      customer,
      snapshot.stripeCustomerId,
      snapshot.created,
      (id) => gateway.getSubscription(id),
    );
    const { patch } = customerSubscriptionPatch(
      customer,
      subscriptions,
      (await pricesOf(customerId)).prices,
      tollgate.catalog,
      now(),
    );
    return tollgate.updateCustomer(customerId, patch);
  }

  async function ensureCustomer(customer: Customer): Promise<Customer> {
    if (customer.stripeCustomerId) return customer;
    const stripeCustomerId = await gateway.createCustomer(customer, keys.customer(customer));
    return tollgate.updateCustomer(customer.id, { stripeCustomerId });
  }

  /** Plans the intent on fresh state, then performs the one action it returns. */
  async function run(
    customerId: string,
    intent: BillingIntent,
    clientKey: string | null,
    prorationDate: number | null = null,
  ): Promise<BillingOutcome> {
    const read = await readState(customerId);
    // Only a subscribe that asks for a trial reads the history (one trial per customer, card or not).
    const stripeCustomerId = read.customer.stripeCustomerId;
    const trialUsed =
      intent.kind === 'subscribe' && intent.trial !== false && stripeCustomerId !== null
        ? await gateway.hadTrial(stripeCustomerId)
        : false;
    const state = { ...read, trialUsed };
    const action = planChange(state, intent);
    const { customer } = state;
    const token = stateToken(customer, clientKey);
    const done = (
      kind: BillingOutcome['action'],
      after: Customer,
      reason: string | null = null,
      charge: PlanChangeCharge | null = null,
    ): BillingOutcome => ({ action: kind, reason, customer: after, before: customer, charge });
    switch (action.kind) {
      case 'refuse':
        throw refusal(action);
      case 'nothing':
        return done('nothing', customer, action.reason);
      case 'start_checkout':
        throw new Error('Checkout is started by startCheckout');
      case 'create_subscription': {
        // The Stripe customer is recorded first and the key taken from the state after that, so a
        // retry after a failure further down sees the same state and sends the same key.
        const withStripe = await ensureCustomer(customer);
        const stripeCustomerId = withStripe.stripeCustomerId ?? '';
        const key = keys.subscribe(
          customer.id,
          action.planId,
          action.interval,
          action.paymentMethodId,
          action.trialDays,
          stateToken(withStripe, clientKey),
        );
        if (action.paymentMethodId !== null) {
          await gateway.attachDefaultPaymentMethod({
            stripeCustomerId,
            paymentMethodId: action.paymentMethodId,
            idempotencyKey: keys.attachPaymentMethod(customer.id, action.paymentMethodId),
          });
        }
        const snapshot = await gateway.createSubscription({
          stripeCustomerId,
          customerId: customer.id,
          planId: action.planId,
          priceId: action.priceId,
          overagePriceId: action.overagePriceId,
          operationPriceIds: action.operationPriceIds,
          trialDays: action.trialDays,
          trialEndBehavior,
          paymentMethodId: action.paymentMethodId,
          idempotencyKey: key,
        });
        const updated = await applySubscription(customer.id, snapshot);
        if (action.replaces !== null) {
          // The old paused or incomplete subscription bills nothing; ending it is tidying, and a
          // failure here must not fail a subscription that exists and is recorded.
          await gateway
            .cancelNow({
              subscriptionId: action.replaces,
              idempotencyKey: keys.cancel(
                customer.id,
                action.replaces,
                'now',
                `replaced-by-${snapshot.subscriptionId}`,
              ),
            })
            .catch(() => {});
        }
        return done(action.kind, updated);
      }
      case 'change_price': {
        const snapshot = await gateway.changePrice({
          subscriptionId: action.subscriptionId,
          customerId: customer.id,
          planId: action.planId,
          priceId: action.priceId,
          overagePriceId: action.overagePriceId,
          operationPriceIds: action.operationPriceIds,
          proration: action.proration,
          prorationDate,
          idempotencyKey: keys.changePlan(
            customer.id,
            action.subscriptionId,
            action.planId,
            action.interval,
            token,
          ),
        });
        return {
          ...done(action.kind, await applySubscription(customer.id, snapshot), null, snapshot.charge),
          direction: action.direction,
        };
      }
      case 'cancel_at_period_end':
      case 'undo_cancel': {
        const cancel = action.kind === 'cancel_at_period_end';
        const snapshot = await gateway.setCancelAtPeriodEnd({
          subscriptionId: action.subscriptionId,
          cancel,
          idempotencyKey: cancel
            ? keys.cancel(customer.id, action.subscriptionId, 'period-end', token)
            : keys.resume(customer.id, action.subscriptionId, token),
        });
        return done(action.kind, await applySubscription(customer.id, snapshot));
      }
      case 'cancel_now': {
        const snapshot = await gateway.cancelNow({
          subscriptionId: action.subscriptionId,
          idempotencyKey: keys.cancel(customer.id, action.subscriptionId, 'now', token),
        });
        return done(action.kind, await applySubscription(customer.id, snapshot));
      }
      case 'resume_paused': {
        const snapshot = await gateway.resumePaused({
          subscriptionId: action.subscriptionId,
          idempotencyKey: keys.resume(customer.id, action.subscriptionId, token),
        });
        return done(action.kind, await applySubscription(customer.id, snapshot));
      }
    }
  }

  const clientKeyOf = (requestOptions?: BillingRequestOptions) => requestOptions?.idempotencyKey ?? null;

  return {
    gateway,

    customerPrices: createCustomerPrices({ tollgate, gateway, prices: options.prices, serialized }),

    preview: async (customerId, intent) => planChange(await readState(customerId), intent),

    subscribe: (customerId, input, requestOptions) =>
      serialized(customerId, () =>
        run(
          customerId,
          {
            kind: 'subscribe',
            planId: input.planId,
            ...(input.interval ? { interval: input.interval } : {}),
            paymentMethodId: input.paymentMethodId ?? null,
            ...(input.trial === false ? { trial: false } : {}),
            defaultTrialDays: options.defaultTrialDays,
          },
          clientKeyOf(requestOptions),
        ),
      ),

    changePlan: (customerId, input, requestOptions) =>
      serialized(customerId, () => {
        const prorationDate = input.prorationDate ?? null;
        if (
          prorationDate !== null &&
          (prorationDate > now() || prorationDate < now() - PRORATION_DATE_MAX_AGE_MS)
        )
          throw invalidRequest([
            {
              path: 'proration_date',
              message: 'expected the proration_date of a preview from the last 15 minutes',
            },
          ]);
        return run(
          customerId,
          { kind: 'change', planId: input.planId, ...(input.interval ? { interval: input.interval } : {}) },
          clientKeyOf(requestOptions),
          prorationDate,
        );
      }),

    async previewChangePlan(customerId, input) {
      const action = planChange(await readState(customerId), {
        kind: 'change',
        planId: input.planId,
        ...(input.interval ? { interval: input.interval } : {}),
      });
      if (action.kind === 'refuse') throw refusal(action);
      if (action.kind !== 'change_price') {
        const reason = action.kind === 'nothing' ? action.reason : null;
        return { action: 'nothing', reason, direction: null, preview: null };
      }
      const preview = await gateway.previewPriceChange({
        // Whole seconds (Stripe's unit), so the upgrade can send back exactly this instant.
        prorationDate: Math.floor(now() / 1000) * 1000,
        subscriptionId: action.subscriptionId,
        customerId,
        planId: action.planId,
        priceId: action.priceId,
        overagePriceId: action.overagePriceId,
        operationPriceIds: action.operationPriceIds,
        proration: action.proration,
      });
      return { action: 'change_price', reason: null, direction: action.direction, preview };
    },

    cancel: (customerId, input, requestOptions) =>
      serialized(customerId, () =>
        run(customerId, { kind: 'cancel', immediate: input.immediate }, clientKeyOf(requestOptions)),
      ),

    resume: (customerId, requestOptions) =>
      serialized(customerId, () => run(customerId, { kind: 'resume' }, clientKeyOf(requestOptions))),

    startCheckout: (customerId, input, requestOptions) =>
      serialized(customerId, async () => {
        const state = await readState(customerId);
        const action = planChange(state, {
          kind: 'checkout',
          planId: input.planId,
          ...(input.interval ? { interval: input.interval } : {}),
        });
        if (action.kind === 'refuse') throw refusal(action);
        if (action.kind !== 'start_checkout') throw new Error(`unexpected checkout action ${action.kind}`);
        const customer = await ensureCustomer(state.customer);
        const session = await gateway.createCheckoutSession({
          stripeCustomerId: customer.stripeCustomerId ?? '',
          customerId,
          planId: action.planId,
          interval: action.interval,
          priceId: action.priceId,
          overagePriceId: action.overagePriceId,
          operationPriceIds: action.operationPriceIds,
          successUrl: input.successUrl,
          cancelUrl: input.cancelUrl,
          idempotencyKey: keys.checkout(
            customerId,
            action.planId,
            action.interval,
            customer.stripeCustomerId ?? '',
            [input.successUrl, input.cancelUrl],
            sessionToken(now(), clientKeyOf(requestOptions)),
          ),
        });
        return { sessionId: session.id, url: session.url };
      }),

    openPortal: (customerId, input, requestOptions) =>
      serialized(customerId, async () => {
        const customer = await ensureCustomer(await readCustomer(customerId));
        return gateway.createPortalSession({
          stripeCustomerId: customer.stripeCustomerId ?? '',
          returnUrl: input.returnUrl,
          idempotencyKey: keys.portal(
            customerId,
            customer.stripeCustomerId ?? '',
            input.returnUrl,
            sessionToken(now(), clientKeyOf(requestOptions)),
          ),
        });
      }),

    async listInvoices(customerId, limit) {
      const customer = await readCustomer(customerId);
      // No Stripe customer yet means no invoices: reading creates nothing.
      return customer.stripeCustomerId ? gateway.listInvoices(customer.stripeCustomerId, limit) : [];
    },

    async trialAvailable(customerId) {
      const customer = await readCustomer(customerId);
      return customer.stripeCustomerId ? !(await gateway.hadTrial(customer.stripeCustomerId)) : true;
    },

    async listPaymentMethods(customerId) {
      const customer = await readCustomer(customerId);
      return customer.stripeCustomerId ? gateway.listPaymentMethods(customer.stripeCustomerId) : [];
    },

    ensureStripeCustomer: (customerId) =>
      serialized(customerId, async () => {
        const customer = await ensureCustomer(await readCustomer(customerId));
        return customer.stripeCustomerId ?? '';
      }),

    applySubscription: (customerId, snapshot) =>
      serialized(customerId, () => applySubscription(customerId, snapshot)),

    refresh: (customerId) =>
      serialized(customerId, async () => {
        const customer = await readCustomer(customerId);
        if (!customer.stripeCustomerId) return customer;
        const current = await gateway.findCurrentSubscription(customer.stripeCustomerId);
        if (current) return applySubscription(customerId, current);
        // Nothing current: apply the last known subscription's end, if there was one.
        const last = customer.stripeSubscriptionId
          ? await gateway.getSubscription(customer.stripeSubscriptionId)
          : undefined;
        return last ? applySubscription(customerId, last) : customer;
      }),
  };
}
