/**
 * Checkout Sessions (`/v1/checkout/sessions`) and the requests Stripe's hosted page makes
 * (`/v1/payment_pages/{id}` and `/confirm`), so a session can be completed by a script or a browser.
 */
import { priceAmount } from '../billing/price-amount.js';
import type { Engine, Scheduler } from '../engine.js';
import { cardDeclined, invalidRequest, missingParam } from '../errors.js';
import { randomToken } from '../ids.js';
import { listOf, paginate } from '../pagination.js';
import { Params } from '../params.js';
import {
  attachPaymentMethod,
  behaviorOf,
  chargeIntent,
  createPaymentIntent,
  resolvePaymentMethod,
} from '../payments.js';
import type { ApiHandler, Router } from '../router.js';
import { DAY, shippingFrom } from '../shapes.js';
import type { CheckoutSession, Price } from '../types.js';
import { createCustomer } from './customers.js';
import { createPrice } from './prices.js';
import { confirmSetupIntent, createSetupIntent } from './setup-intents.js';
import { createSubscription } from './subscriptions.js';

export interface CheckoutNote extends Record<string, unknown> {
  lineItems: Array<{ price: string; quantity: number }>;
  paymentIntentData: Record<string, unknown> | undefined;
  subscriptionData: Record<string, unknown> | undefined;
}

export function registerCheckout(api: Router<ApiHandler>, engine: Engine): void {
  engine.addScheduler(expiryScheduler);
  api
    .add('POST', '/v1/checkout/sessions', (engine, request) =>
      engine.view(createSession(engine, request.params)),
    )
    .add('GET', '/v1/checkout/sessions', (engine, request) => {
      const { params } = request;
      const customer = params.string('customer');
      const status = params.string('status');
      const sessions = engine.store
        .all('checkout.session')
        .filter((session) => customer === undefined || session.customer === customer)
        .filter((session) => status === undefined || session.status === status);
      return paginate(sessions, params, '/v1/checkout/sessions');
    })
    .add('GET', '/v1/checkout/sessions/:id', (engine, request) =>
      engine.view(engine.require('checkout.session', request.pathParams.id!)),
    )
    .add('GET', '/v1/checkout/sessions/:id/line_items', (engine, request) => {
      const session = engine.require('checkout.session', request.pathParams.id!);
      return paginate(
        lineItemsOf(engine, session).reverse(),
        request.params,
        `/v1/checkout/sessions/${session.id}/line_items`,
      );
    })
    .add('POST', '/v1/checkout/sessions/:id/expire', (engine, request) => {
      const session = engine.require('checkout.session', request.pathParams.id!);
      if (session.status !== 'open') {
        throw invalidRequest(
          `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
          undefined,
          'checkout_session_unexpected_state',
        );
      }
      expireSession(engine, session);
      return engine.view(session);
    })
    .add('GET', '/v1/payment_pages/:id', (engine, request) =>
      paymentPage(engine, engine.require('checkout.session', request.pathParams.id!)),
    )
    .add('POST', '/v1/payment_pages/:id/confirm', (engine, request) => {
      const session = engine.require('checkout.session', request.pathParams.id!);
      const { params } = request;
      const expected = params.integer('expected_amount');
      if (expected !== undefined && expected !== (session.amount_total ?? 0)) {
        throw invalidRequest(
          `The expected amount (${expected}) does not match the session total (${session.amount_total}).`,
          'expected_amount',
        );
      }
      completeSession(engine, session, params.requiredString('payment_method'), params.string('email'));
      return paymentPage(engine, session);
    });
}

function createSession(engine: Engine, params: Params): CheckoutSession {
  const mode = params.oneOf('mode', ['payment', 'subscription', 'setup'] as const);
  if (mode === undefined) throw missingParam('mode');
  const customerId = params.string('customer') ?? null;
  const customer = customerId ? engine.require('customer', customerId, 'customer') : undefined;
  const lines = params.objects('line_items').map((item, index) => {
    const price = lineItemPrice(engine, item, `line_items[${index}]`);
    if (mode === 'subscription' && price.recurring === null && index === 0) {
      throw invalidRequest(
        'You must provide at least one recurring price in `subscription` mode when using prices.',
        `line_items[${index}][price]`,
      );
    }
    return { price: price.id, quantity: item.integer('quantity') ?? 1 };
  });
  if (mode !== 'setup' && lines.length === 0) throw missingParam('line_items');
  const amount = lines.reduce(
    (sum, line) => sum + upfrontAmount(engine.require('price', line.price), line.quantity),
    0,
  );
  const currency = lines[0]
    ? engine.require('price', lines[0].price).currency
    : (params.string('currency') ?? null);
  const now = engine.realNow();
  const id = `cs_test_${randomToken(58)}`;
  const session: CheckoutSession = {
    id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: params.boolean('allow_promotion_codes') ?? null,
    allowed_payment_method_types: null,
    amount_subtotal: mode === 'setup' ? null : amount,
    amount_total: mode === 'setup' ? null : amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection:
      params.oneOf('billing_address_collection', ['auto', 'required'] as const) ?? null,
    cancel_url: params.string('cancel_url') ?? null,
    client_reference_id: params.string('client_reference_id') ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: {
      after_submit: null,
      shipping_address: null,
      submit: null,
      terms_of_service_acceptance: null,
    },
    customer: customerId,
    customer_account: null,
    customer_creation: customerId
      ? null
      : mode === 'payment'
        ? (params.oneOf('customer_creation', ['always', 'if_required'] as const) ?? 'if_required')
        : 'always',
    customer_details: customer
      ? {
          address: null,
          business_name: null,
          email: customer.email,
          individual_name: null,
          name: customer.name ?? null,
          phone: null,
          tax_exempt: 'none',
          tax_ids: [],
        }
      : null,
    customer_email: params.string('customer_email') ?? null,
    discounts: [],
    expires_at: params.integer('expires_at') ?? now + DAY,
    integration_identifier: null,
    invoice: null,
    invoice_creation:
      mode === 'payment'
        ? {
            enabled: false,
            invoice_data: {
              account_tax_ids: null,
              custom_fields: null,
              description: null,
              footer: null,
              issuer: null,
              metadata: {},
              rendering_options: null,
            },
          }
        : null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: params.metadata() ?? {},
    mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: mode === 'subscription' ? 'always' : null,
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: params.has('payment_method_types')
      ? params.strings('payment_method_types')
      : ['card'],
    payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: params.string('success_url') ?? null,
    total_details: mode === 'setup' ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: `${engine.settings.publicUrl}/c/pay/${id}`,
    wallet_options: null,
  };
  engine.store.insert<'checkout.session'>(session);
  engine.store.setNote(id, {
    lineItems: lines,
    paymentIntentData: params.object('payment_intent_data')?.raw,
    subscriptionData: params.object('subscription_data')?.raw,
  } satisfies CheckoutNote);
  return session;
}

function lineItemPrice(engine: Engine, item: Params, param: string): Price {
  const priceId = item.string('price');
  if (priceId) return engine.require('price', priceId, `${param}[price]`);
  const data = item.object('price_data');
  if (data) return createPrice(engine, data);
  throw missingParam(`${param}[price]`);
}

/** What a line costs at Checkout: a metered price is billed in arrears for usage, so nothing now. */
function upfrontAmount(price: Price, quantity: number): number {
  return price.recurring?.usage_type === 'metered' ? 0 : priceAmount(price, quantity);
}

/** One line of a session's `line_items` list, as Stripe answers it. */
export interface CheckoutLineItem {
  id: string;
  object: 'item';
  amount_discount: number;
  amount_subtotal: number;
  amount_tax: number;
  amount_total: number;
  currency: string;
  description: string;
  price: Price;
  quantity: number;
}

export function lineItemsOf(engine: Engine, session: CheckoutSession): CheckoutLineItem[] {
  const note = engine.store.note<CheckoutNote>(session.id);
  return (note.lineItems ?? []).map((line, index) => {
    const price = engine.require('price', line.price);
    const productId = typeof price.product === 'string' ? price.product : price.product.id;
    const amount = upfrontAmount(price, line.quantity);
    return {
      id: `li_${session.id.slice(8, 22)}${index}`,
      object: 'item' as const,
      amount_discount: 0,
      amount_subtotal: amount,
      amount_tax: 0,
      amount_total: amount,
      currency: price.currency,
      description: engine.get('product', productId)?.name ?? productId,
      price: engine.view(price),
      quantity: line.quantity,
    };
  });
}

function paymentPage(engine: Engine, session: CheckoutSession) {
  return {
    id: session.id,
    object: 'checkout.session',
    session_id: session.id,
    mode: session.mode,
    status: session.status,
    payment_status: session.payment_status,
    amount_total: session.amount_total,
    currency: session.currency,
    customer: session.customer,
    customer_email: session.customer_email,
    line_items: listOf(lineItemsOf(engine, session), `/v1/checkout/sessions/${session.id}/line_items`),
    success_url: session.success_url,
    cancel_url: session.cancel_url,
    url: session.url,
  };
}

export function expireSession(engine: Engine, session: CheckoutSession): void {
  session.status = 'expired';
  session.url = null;
  engine.store.touch();
  engine.emit('checkout.session.expired', session);
}

/**
 * Pays a session with a payment method, as the hosted page does: creates the customer if needed, then
 * the payment, subscription or saved card, and emits `checkout.session.completed`.
 */
export function completeSession(
  engine: Engine,
  session: CheckoutSession,
  paymentMethodId: string,
  email?: string,
): void {
  if (session.status !== 'open') {
    throw invalidRequest(
      'This Checkout Session is no longer active.',
      undefined,
      'checkout_session_unexpected_state',
    );
  }
  const note = engine.store.note<CheckoutNote>(session.id);
  const paymentMethod = resolvePaymentMethod(engine, paymentMethodId);
  const { behavior, declineCode } = behaviorOf(engine, paymentMethod.id);
  const customerEmail = email ?? session.customer_email ?? paymentMethod.billing_details.email ?? null;
  let customerId = typeof session.customer === 'string' ? session.customer : null;
  const needsCustomer = session.mode !== 'payment' || session.customer_creation === 'always';
  if (customerId === null && needsCustomer) {
    if (behavior === 'decline') throw cardDeclined(declineCode);
    customerId = createCustomer(
      engine,
      new Params({
        ...(customerEmail ? { email: customerEmail } : {}),
        ...(paymentMethod.billing_details.name ? { name: paymentMethod.billing_details.name } : {}),
      }),
    ).id;
    session.customer = customerId;
  }
  if (session.mode === 'payment') {
    const data = new Params((note.paymentIntentData ?? {}) as Record<string, unknown>);
    const intent = createPaymentIntent(engine, {
      amount: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      customer: customerId,
      description: data.string('description') ?? null,
      metadata: data.metadata() ?? {},
      paymentMethod: paymentMethod.id,
      shipping: data.has('shipping') ? (shippingFrom(data.object('shipping')?.raw) as never) : null,
      setupFutureUsage: data.oneOf('setup_future_usage', ['on_session', 'off_session'] as const) ?? null,
    });
    const error = chargeIntent(engine, intent);
    if (error) throw error;
    session.payment_intent = intent.id;
    session.payment_status = 'paid';
  } else if (session.mode === 'subscription') {
    attachPaymentMethod(engine, paymentMethod, customerId!);
    const data = new Params((note.subscriptionData ?? {}) as Record<string, unknown>);
    const trialDays = data.integer('trial_period_days');
    if (behavior !== 'succeed' && !trialDays && (session.amount_total ?? 0) > 0)
      throw cardDeclined(declineCode);
    const subscription = createSubscription(
      engine,
      new Params({
        customer: customerId!,
        items: (note.lineItems ?? []).map((line) => ({ price: line.price, quantity: String(line.quantity) })),
        default_payment_method: paymentMethod.id,
        payment_behavior: 'error_if_incomplete',
        ...(trialDays ? { trial_period_days: String(trialDays) } : {}),
        ...(data.has('metadata') ? { metadata: data.raw.metadata } : {}),
        ...(data.has('description') ? { description: data.raw.description } : {}),
      }),
    );
    session.subscription = subscription.id;
    session.invoice = typeof subscription.latest_invoice === 'string' ? subscription.latest_invoice : null;
    const invoice = session.invoice ? engine.get('invoice', session.invoice) : undefined;
    session.payment_status = invoice && invoice.amount_due > 0 ? 'paid' : 'no_payment_required';
  } else {
    const intent = createSetupIntent(engine, new Params({ ...(customerId ? { customer: customerId } : {}) }));
    confirmSetupIntent(engine, intent, new Params({ payment_method: paymentMethod.id }));
    session.setup_intent = intent.id;
  }
  const customer = customerId ? engine.get('customer', customerId) : undefined;
  session.customer_details = {
    address: paymentMethod.billing_details.address,
    business_name: null,
    email: customer?.email ?? customerEmail,
    individual_name: null,
    name: paymentMethod.billing_details.name ?? customer?.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  session.status = 'complete';
  session.url = null;
  engine.store.touch();
  engine.emit('checkout.session.completed', session);
}

/** Open sessions expire at `expires_at` (emulator time; Checkout does not use test clocks). */
const expiryScheduler: Scheduler = {
  nextDue(engine, scope) {
    if (scope !== null) return undefined;
    let next: number | undefined;
    for (const session of engine.store.all('checkout.session')) {
      if (session.status === 'open' && (next === undefined || session.expires_at < next))
        next = session.expires_at;
    }
    return next;
  },
  runDue(engine, scope, now) {
    if (scope !== null) return;
    for (const session of engine.store.all('checkout.session')) {
      if (session.status === 'open' && session.expires_at <= now) expireSession(engine, session);
    }
  },
};
