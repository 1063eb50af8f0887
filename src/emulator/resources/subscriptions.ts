/**
 * Subscriptions: `/v1/subscriptions` create, retrieve, update (plan change with proration, cancel at
 * period end, pause collection, trial end), cancel, resume, list.
 */

import { finalizeInvoice, payInvoice } from '../billing/invoicing.js';
import {
  cancelSubscriptionNow,
  emitUpdated,
  endTrial,
  hasPaymentMethod,
  installSubscriptionHooks,
  invoiceSubscription,
  resumeSubscription,
  viewSnapshot,
} from '../billing/lifecycle.js';
import { priceAmount } from '../billing/price-amount.js';
import {
  createItem,
  installSubscriptionRenderers,
  itemsOf,
  noteOf,
  periodOf,
  setPeriod,
} from '../billing/subscription-model.js';
import type { Engine } from '../engine.js';
import { invalidRequest, missingParam } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import { customerPaymentMethod } from '../payments.js';
import type { ApiHandler, Router } from '../router.js';
import { addInterval, DAY } from '../shapes.js';
import type { Customer, Price, Subscription } from '../types.js';
import { createPrice } from './prices.js';
import { changeItems, prorationDateOf } from './subscription-items.js';

const PAYMENT_BEHAVIORS = [
  'allow_incomplete',
  'default_incomplete',
  'error_if_incomplete',
  'pending_if_incomplete',
] as const;

export function registerSubscriptions(api: Router<ApiHandler>, engine: Engine): void {
  installSubscriptionHooks();
  installSubscriptionRenderers(engine);
  api
    .add('POST', '/v1/subscriptions', (engine, request) =>
      engine.view(createSubscription(engine, request.params)),
    )
    .add('GET', '/v1/subscriptions', (engine, request) => {
      const { params } = request;
      const customer = params.string('customer');
      const status = params.string('status');
      const price = params.string('price');
      const clock = params.string('test_clock');
      const subscriptions = engine.store
        .all('subscription')
        .filter((sub) => customer === undefined || sub.customer === customer)
        .filter((sub) => clock === undefined || sub.test_clock === clock)
        .filter((sub) =>
          status === undefined
            ? sub.status !== 'canceled' && sub.status !== 'incomplete_expired'
            : status === 'all' || sub.status === status,
        )
        .filter(
          (sub) => price === undefined || itemsOf(engine, sub.id).some((item) => item.price.id === price),
        );
      return paginate(
        subscriptions.map((sub) => engine.view(sub)),
        params,
        '/v1/subscriptions',
      );
    })
    .add('GET', '/v1/subscriptions/:id', (engine, request) =>
      engine.view(engine.require('subscription', request.pathParams.id!)),
    )
    .add('POST', '/v1/subscriptions/:id', (engine, request) =>
      engine.view(updateSubscription(engine, request.pathParams.id!, request.params)),
    )
    .add('DELETE', '/v1/subscriptions/:id', (engine, request) => {
      const subscription = engine.require('subscription', request.pathParams.id!);
      if (subscription.status === 'canceled') {
        throw invalidRequest(
          `No such subscription: '${subscription.id}' is already canceled.`,
          'id',
          'resource_missing',
        );
      }
      const details = request.params.object('cancellation_details');
      if (details) {
        subscription.cancellation_details = {
          comment: details.string('comment') ?? null,
          feedback: (details.string('feedback') as never) ?? null,
          feedback_option: null,
          reason: 'cancellation_requested',
        };
      }
      if (request.params.boolean('invoice_now')) {
        const { start, end } = periodOf(engine, subscription);
        const now = engine.nowFor(subscription as never);
        invoiceSubscription(engine, subscription, {
          reason: 'subscription_cycle',
          periodStart: now,
          periodEnd: now,
          usagePeriod: { start, end: Math.min(end, now) },
          immediate: true,
          at: now,
          includeLicensed: false,
        });
      }
      cancelSubscriptionNow(engine, subscription, 'cancellation_requested');
      return engine.view(subscription);
    })
    .add('POST', '/v1/subscriptions/:id/resume', (engine, request) => {
      const subscription = engine.require('subscription', request.pathParams.id!);
      if (subscription.status !== 'paused') {
        throw invalidRequest(
          'Only paused subscriptions can be resumed.',
          undefined,
          'subscription_not_paused',
        );
      }
      resumeSubscription(engine, subscription, engine.nowFor(subscription as never));
      return engine.view(subscription);
    });
}

/** Price for `items[n]`: an existing `price`, or one created from `price_data`. */
export function priceForItem(engine: Engine, item: Params, param: string): Price {
  const priceId = item.string('price') ?? item.string('plan');
  if (priceId) return engine.require('price', priceId, `${param}[price]`);
  const data = item.object('price_data');
  if (data) return createPrice(engine, data);
  throw missingParam(`${param}[price]`);
}

function trialEndFrom(params: Params, now: number, prices: Price[]): number | null {
  const trialEnd = params.string('trial_end');
  if (trialEnd === 'now') return null;
  if (trialEnd !== undefined) {
    const at = params.requiredInteger('trial_end');
    if (at <= now)
      throw invalidRequest(
        'Invalid timestamp: must be an integer Unix timestamp in the future.',
        'trial_end',
      );
    return at;
  }
  const days = params.integer('trial_period_days');
  if (days !== undefined && days > 0) return now + days * DAY;
  if (params.boolean('trial_from_plan')) {
    const fromPlan = prices
      .map((price) => price.recurring?.trial_period_days ?? 0)
      .find((value) => value > 0);
    if (fromPlan) return now + fromPlan * DAY;
  }
  return null;
}

export function createSubscription(engine: Engine, params: Params): Subscription {
  const customer = engine.require('customer', params.requiredString('customer'), 'customer');
  const clock = typeof customer.test_clock === 'string' ? customer.test_clock : null;
  const now = engine.now(clock);
  const itemParams = params.objects('items');
  if (itemParams.length === 0) throw missingParam('items');
  const prices = itemParams.map((item, index) => priceForItem(engine, item, `items[${index}]`));
  for (const [index, price] of prices.entries()) {
    if (price.recurring === null) {
      throw invalidRequest(
        `The price specified is set to \`type=one_time\` but this field only accepts prices with \`type=recurring\`.`,
        `items[${index}][price]`,
      );
    }
    if (!price.active)
      throw invalidRequest(
        'The price specified is inactive. This field only accepts active prices.',
        `items[${index}][price]`,
      );
  }
  const first = prices[0]!;
  const behavior = params.oneOf('payment_behavior', PAYMENT_BEHAVIORS) ?? 'allow_incomplete';
  const collection =
    params.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ??
    'charge_automatically';
  const trialEnd = trialEndFrom(params, now, prices);
  const defaultPaymentMethod = params.string('default_payment_method');
  const pmId = defaultPaymentMethod
    ? customerPaymentMethod(engine, customer.id, defaultPaymentMethod, 'default_payment_method').id
    : null;
  const firstAmount = prices.reduce(
    (sum, price, index) =>
      sum +
      (price.recurring?.usage_type === 'metered'
        ? 0
        : priceAmount(price, itemParams[index]!.integer('quantity') ?? 1)),
    0,
  );
  if (
    behavior === 'allow_incomplete' &&
    collection === 'charge_automatically' &&
    trialEnd === null &&
    firstAmount > 0 &&
    pmId === null &&
    !customerHasPaymentMethod(customer)
  ) {
    throw invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
      undefined,
      'resource_missing',
    );
  }
  const periodEnd = trialEnd ?? addInterval(now, first.recurring!.interval, first.recurring!.interval_count);
  const id = newId('sub', 24);
  const trialSettings = params.object('trial_settings')?.object('end_behavior');
  const subscription: Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: periodEnd === trialEnd ? trialEnd : now,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: params.integer('cancel_at') ?? null,
    cancel_at_period_end: params.boolean('cancel_at_period_end') ?? false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: collection,
    created: now,
    currency: first.currency,
    customer: customer.id,
    customer_account: null,
    days_until_due: collection === 'send_invoice' ? (params.integer('days_until_due') ?? 30) : null,
    default_payment_method: pmId,
    default_source: null,
    default_tax_rates: [],
    description: params.string('description') ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: { object: 'list', data: [], has_more: false, url: `/v1/subscription_items?subscription=${id}` },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: params.metadata() ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method:
        params
          .object('payment_settings')
          ?.oneOf('save_default_payment_method', ['off', 'on_subscription'] as const) ?? 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: now,
    status: trialEnd === null ? 'incomplete' : 'trialing',
    test_clock: clock,
    transfer_data: null,
    trial_end: trialEnd,
    trial_settings: {
      end_behavior: {
        billing_cycle_anchor: null,
        missing_payment_method:
          trialSettings?.oneOf('missing_payment_method', ['cancel', 'create_invoice', 'pause'] as const) ??
          'create_invoice',
      },
    },
    trial_start: trialEnd === null ? null : now,
  };
  if (subscription.cancel_at_period_end) subscription.cancel_at = periodEnd;
  engine.store.insert<'subscription'>(subscription);
  engine.store.setNote(id, { creating: true, trialWillEndSent: false });
  setPeriod(engine, subscription, now, periodEnd);
  prices.forEach((price, index) => {
    const item = itemParams[index]!;
    createItem(engine, subscription, price, item.integer('quantity'), item.metadata() ?? {}, now);
  });
  const invoice = invoiceSubscription(engine, subscription, {
    reason: 'subscription_create',
    periodStart: now,
    periodEnd,
    immediate: false,
    at: now,
  });
  // The first invoice is finalized at once; whether it is charged depends on payment_behavior.
  invoice.automatically_finalizes_at = null;
  const chargeNow = behavior !== 'default_incomplete' && collection === 'charge_automatically';
  let error: ReturnType<typeof payInvoice>;
  if (invoice.amount_due === 0 || chargeNow) error = payInvoice(engine, invoice, { automatic: false });
  else finalizeInvoice(engine, invoice); // creates the PaymentIntent the client confirms (default_incomplete)
  if (subscription.status === 'incomplete' && (invoice.status === 'paid' || collection === 'send_invoice'))
    subscription.status = 'active';
  engine.store.setNote(id, { creating: false });
  engine.store.touch();
  engine.emit('customer.subscription.created', subscription);
  if (trialEnd !== null && trialEnd - now <= 3 * DAY) {
    // Stripe sends the reminder at once when the trial is shorter than its three-day notice.
    engine.store.setNote(id, { trialWillEndSent: true });
    engine.emit('customer.subscription.trial_will_end', subscription);
  }
  if (error && behavior === 'error_if_incomplete') throw error;
  return subscription;
}

function customerHasPaymentMethod(customer: Customer): boolean {
  return (
    typeof customer.invoice_settings.default_payment_method === 'string' ||
    typeof customer.default_source === 'string'
  );
}

export function updateSubscription(engine: Engine, id: string, params: Params): Subscription {
  const subscription = engine.require('subscription', id);
  if (subscription.status === 'canceled' || subscription.status === 'incomplete_expired') {
    throw invalidRequest(
      'A canceled subscription can only update its cancellation_details and metadata.',
      undefined,
      'subscription_canceled',
    );
  }
  const before = viewSnapshot(engine, subscription);
  const now = engine.nowFor(subscription as never);
  const metadata = params.metadata(subscription.metadata);
  if (metadata) subscription.metadata = metadata;
  if (params.has('description')) subscription.description = params.nullableString('description') ?? null;
  if (params.has('default_payment_method')) {
    const value = params.nullableString('default_payment_method');
    subscription.default_payment_method = value
      ? customerPaymentMethod(engine, String(subscription.customer), value, 'default_payment_method').id
      : null;
  }
  if (params.has('cancel_at_period_end')) {
    const cancel = params.boolean('cancel_at_period_end') ?? false;
    subscription.cancel_at_period_end = cancel;
    subscription.cancel_at = cancel ? periodOf(engine, subscription).end : null;
    subscription.canceled_at = cancel ? now : null;
    if (!cancel)
      subscription.cancellation_details = {
        comment: null,
        feedback: null,
        feedback_option: null,
        reason: null,
      };
  }
  if (params.has('cancel_at')) {
    subscription.cancel_at = params.isUnset('cancel_at') ? null : params.requiredInteger('cancel_at');
    subscription.cancel_at_period_end =
      subscription.cancel_at !== null && subscription.cancel_at === periodOf(engine, subscription).end;
    subscription.canceled_at = subscription.cancel_at === null ? null : now;
  }
  const details = params.object('cancellation_details');
  if (details) {
    subscription.cancellation_details = {
      comment: details.string('comment') ?? subscription.cancellation_details?.comment ?? null,
      feedback: (details.string('feedback') as never) ?? subscription.cancellation_details?.feedback ?? null,
      feedback_option: null,
      reason:
        subscription.cancellation_details?.reason ??
        (subscription.cancel_at ? 'cancellation_requested' : null),
    };
  }
  if (params.has('pause_collection')) {
    if (params.isUnset('pause_collection')) subscription.pause_collection = null;
    else {
      const pause = params.object('pause_collection')!;
      subscription.pause_collection = {
        behavior:
          pause.oneOf('behavior', ['keep_as_draft', 'mark_uncollectible', 'void'] as const) ??
          missingParamValue('pause_collection[behavior]'),
        resumes_at: pause.integer('resumes_at') ?? null,
      };
    }
  }
  if (params.has('collection_method')) {
    subscription.collection_method =
      params.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const) ??
      subscription.collection_method;
  }
  if (params.has('days_until_due')) subscription.days_until_due = params.integer('days_until_due') ?? null;
  if (params.has('trial_settings')) {
    const behavior = params
      .object('trial_settings')
      ?.object('end_behavior')
      ?.oneOf('missing_payment_method', ['cancel', 'create_invoice', 'pause'] as const);
    if (behavior)
      subscription.trial_settings = {
        end_behavior: { billing_cycle_anchor: null, missing_payment_method: behavior },
      };
  }
  engine.store.touch();
  const trialEnd = params.string('trial_end');
  const itemParams = params.objects('items');
  if (itemParams.length > 0) {
    const prorationBehavior =
      params.oneOf('proration_behavior', ['create_prorations', 'none', 'always_invoice'] as const) ??
      'create_prorations';
    changeItems(
      engine,
      subscription,
      itemParams,
      prorationBehavior,
      now,
      params.string('billing_cycle_anchor') === 'now',
      prorationDateOf(engine, subscription, params, prorationBehavior),
    );
  }
  if (trialEnd === 'now' && subscription.status === 'trialing') {
    emitUpdated(engine, subscription, before);
    endTrial(engine, subscription, now, true);
    return subscription;
  }
  if (trialEnd !== undefined && trialEnd !== 'now') {
    const at = params.requiredInteger('trial_end');
    if (at <= now)
      throw invalidRequest(
        'Invalid timestamp: must be an integer Unix timestamp in the future.',
        'trial_end',
      );
    subscription.trial_end = at;
    if (subscription.status === 'trialing' || subscription.status === 'active') {
      subscription.status = 'trialing';
      subscription.trial_start = subscription.trial_start ?? now;
      setPeriod(engine, subscription, periodOf(engine, subscription).start, at);
      engine.store.setNote(subscription.id, { trialWillEndSent: at - now <= 3 * DAY });
    }
  }
  emitUpdated(engine, subscription, before);
  if (noteOf(engine, subscription).creating === undefined)
    engine.store.setNote(subscription.id, { creating: false });
  return subscription;
}

function missingParamValue(param: string): never {
  throw missingParam(param);
}

export { hasPaymentMethod };
