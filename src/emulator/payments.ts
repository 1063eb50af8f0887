/**
 * Payment methods, payment intents and charges: creating them from test cards and running a charge.
 *
 * Resources (invoices, Checkout, the PaymentIntents API) call `chargeIntent()`; it decides the outcome
 * from the card's test behaviour, records the charge and emits the events Stripe emits, in Stripe's order
 * (`charge.succeeded` then `payment_intent.succeeded`, or the `failed` pair).
 */
import { type CardBehavior, type TestCard, testCardFor } from './cards.js';
import type { Engine } from './engine.js';
import {
  cardDeclined,
  declineMessage,
  invalidRequest,
  resourceMissing,
  type StripeApiError,
} from './errors.js';
import { newId, randomToken } from './ids.js';
import { emptyAddress } from './shapes.js';
import type { Charge, PaymentIntent, PaymentMethod } from './types.js';

interface PaymentMethodNote extends Record<string, unknown> {
  behavior: CardBehavior;
  declineCode: string | undefined;
  /** The test id it was made from (`pm_card_visa`), so later references to that id find it. */
  fromTestId: string | undefined;
}

export function createCardPaymentMethod(
  engine: Engine,
  card: TestCard,
  options: {
    billingDetails?: PaymentMethod['billing_details'];
    metadata?: Record<string, string>;
    fromTestId?: string;
    idPrefix?: string;
  } = {},
): PaymentMethod {
  const paymentMethod: PaymentMethod = {
    id: newId(options.idPrefix ?? 'pm', 24),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: options.billingDetails ?? {
      address: emptyAddress(),
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
      country: 'US',
      display_brand: card.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 5,
      fingerprint: `fp${card.last4}${card.brand}`.slice(0, 16),
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: engine.realNow(),
    customer: null,
    customer_account: null,
    livemode: false,
    metadata: options.metadata ?? {},
    type: 'card',
  };
  engine.store.insert<'payment_method'>(paymentMethod);
  engine.store.setNote(paymentMethod.id, {
    behavior: card.behavior,
    declineCode: card.declineCode,
    fromTestId: options.fromTestId,
  } satisfies PaymentMethodNote);
  return paymentMethod;
}

/** A stored payment method, or a fresh one for a test id such as `pm_card_visa` / `tok_visa`. */
export function resolvePaymentMethod(engine: Engine, id: string, param = 'payment_method'): PaymentMethod {
  const stored = engine.get('payment_method', id);
  if (stored) return stored;
  const card = testCardFor(id);
  if (card === undefined) throw resourceMissing('PaymentMethod', id, param);
  return createCardPaymentMethod(engine, card, { fromTestId: id });
}

/** For a customer: an attached payment method by id, or the one attached from that test id. */
export function customerPaymentMethod(
  engine: Engine,
  customerId: string,
  id: string,
  param: string,
): PaymentMethod {
  const stored = engine.get('payment_method', id);
  if (stored) return stored;
  const fromTest = engine.store
    .all('payment_method')
    .find(
      (pm) => pm.customer === customerId && engine.store.note<PaymentMethodNote>(pm.id).fromTestId === id,
    );
  if (fromTest) return fromTest;
  const created = resolvePaymentMethod(engine, id, param);
  attachPaymentMethod(engine, created, customerId);
  return created;
}

export function behaviorOf(
  engine: Engine,
  paymentMethodId: string,
): { behavior: CardBehavior; declineCode: string } {
  const note = engine.store.note<PaymentMethodNote>(paymentMethodId);
  return { behavior: note.behavior ?? 'succeed', declineCode: note.declineCode ?? 'generic_decline' };
}

export function attachPaymentMethod(
  engine: Engine,
  paymentMethod: PaymentMethod,
  customerId: string,
  emitEvent = true,
): PaymentMethod {
  engine.require('customer', customerId, 'customer');
  if (paymentMethod.customer === customerId) return paymentMethod;
  if (paymentMethod.customer !== null) {
    throw invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      'payment_method',
      'payment_method_unexpected_state',
    );
  }
  const { behavior, declineCode } = behaviorOf(engine, paymentMethod.id);
  if (behavior === 'decline') throw cardDeclined(declineCode, { param: '' });
  paymentMethod.customer = customerId;
  engine.store.touch();
  if (emitEvent) engine.emit('payment_method.attached', paymentMethod);
  return paymentMethod;
}

export interface IntentInput {
  amount: number;
  currency: string;
  customer: string | null;
  description: string | null;
  metadata?: Record<string, string>;
  paymentMethod?: string | null;
  paymentMethodTypes?: string[];
  shipping?: PaymentIntent['shipping'];
  setupFutureUsage?: PaymentIntent['setup_future_usage'];
  captureMethod?: PaymentIntent['capture_method'];
  receiptEmail?: string | null;
}

export function createPaymentIntent(engine: Engine, input: IntentInput): PaymentIntent {
  const id = newId('pi', 24);
  const intent: PaymentIntent = {
    id,
    object: 'payment_intent',
    allowed_payment_method_types: null,
    amount: input.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: input.paymentMethodTypes ? null : { allow_redirects: 'always', enabled: true },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: input.captureMethod ?? 'automatic_async',
    client_secret: `${id}_secret_${randomToken(24)}`,
    confirmation_method: 'automatic',
    created: engine.now(clockOfCustomer(engine, input.customer)),
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    description: input.description,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    managed_payments: null,
    metadata: input.metadata ?? {},
    next_action: null,
    on_behalf_of: null,
    payment_method: input.paymentMethod ?? null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: input.paymentMethodTypes ?? ['card'],
    payment_record: null,
    processing: null,
    receipt_email: input.receiptEmail ?? null,
    review: null,
    setup_future_usage: input.setupFutureUsage ?? null,
    shipping: input.shipping ?? null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: input.paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
  engine.store.insert<'payment_intent'>(intent);
  engine.emit('payment_intent.created', intent);
  return intent;
}

function clockOfCustomer(engine: Engine, customerId: string | null): string | null {
  if (customerId === null) return null;
  const customer = engine.get('customer', customerId);
  return typeof customer?.test_clock === 'string' ? customer.test_clock : null;
}

/**
 * Confirms an intent with its payment method: records a charge and moves the intent to `succeeded`
 * (or `requires_capture`), or back to `requires_payment_method` with `last_payment_error`. Returns the
 * card error instead of throwing, because callers differ: the API answers 402, a renewal just records it.
 */
export function chargeIntent(engine: Engine, intent: PaymentIntent): StripeApiError | undefined {
  const paymentMethodId = typeof intent.payment_method === 'string' ? intent.payment_method : null;
  if (paymentMethodId === null) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a customer, you must provide a payment method.",
      'payment_method',
      'payment_intent_unexpected_state',
    );
  }
  const { behavior, declineCode } = behaviorOf(engine, paymentMethodId);
  const declined = behavior !== 'succeed';
  const charge = buildCharge(engine, intent, paymentMethodId, declined ? declineCode : undefined);
  engine.store.insert<'charge'>(charge);
  intent.latest_charge = charge.id;
  if (declined) {
    const error = cardDeclined(declineCode, {
      charge: charge.id,
      payment_method: engine.view(engine.require('payment_method', paymentMethodId)),
    });
    intent.status = 'requires_payment_method';
    intent.last_payment_error = {
      type: 'card_error',
      code: error.body.code,
      decline_code: declineCode,
      message: error.body.message,
      charge: charge.id,
      doc_url: error.body.doc_url,
      payment_method: engine.view(engine.require('payment_method', paymentMethodId)),
    } as PaymentIntent['last_payment_error'];
    intent.payment_method = null;
    engine.store.touch();
    engine.emit('charge.failed', charge);
    engine.emit('payment_intent.payment_failed', intent);
    error.body.payment_intent = engine.view(intent);
    return error;
  }
  const manual = intent.capture_method === 'manual';
  intent.status = manual ? 'requires_capture' : 'succeeded';
  intent.amount_received = manual ? 0 : intent.amount;
  intent.amount_capturable = manual ? intent.amount : 0;
  intent.last_payment_error = null;
  engine.store.touch();
  engine.emit('charge.succeeded', charge);
  engine.emit(manual ? 'payment_intent.amount_capturable_updated' : 'payment_intent.succeeded', intent);
  return undefined;
}

function buildCharge(
  engine: Engine,
  intent: PaymentIntent,
  paymentMethodId: string,
  declineCode: string | undefined,
): Charge {
  const paymentMethod = engine.require('payment_method', paymentMethodId);
  const card = paymentMethod.card;
  const failed = declineCode !== undefined;
  const captured = !failed && intent.capture_method !== 'manual';
  const id = newId('ch', 24);
  return {
    id,
    object: 'charge',
    amount: intent.amount,
    amount_captured: captured ? intent.amount : 0,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: failed ? null : newId('txn', 24),
    billing_details: paymentMethod.billing_details,
    calculated_statement_descriptor: 'TOLLGATE EMULATOR',
    captured,
    created: engine.now(
      clockOfCustomer(engine, typeof intent.customer === 'string' ? intent.customer : null),
    ),
    currency: intent.currency,
    customer: intent.customer,
    description: intent.description,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: failed ? (declineCode === 'expired_card' ? 'expired_card' : 'card_declined') : null,
    failure_message: failed ? declineMessage(declineCode) : null,
    fraud_details: {},
    livemode: false,
    metadata: intent.metadata,
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: failed ? 'declined_by_network' : 'approved_by_network',
      reason: failed ? declineCode : null,
      risk_level: 'normal',
      seller_message: failed
        ? 'The bank did not return any further details with this decline.'
        : 'Payment complete.',
      type: failed ? 'issuer_declined' : 'authorized',
    },
    paid: !failed,
    payment_intent: intent.id,
    payment_method: paymentMethodId,
    payment_method_details: {
      card: {
        amount_authorized: failed ? null : intent.amount,
        authorization_code: failed ? null : '123456',
        brand: card?.brand ?? null,
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
        country: 'US',
        exp_month: card?.exp_month ?? 12,
        exp_year: card?.exp_year ?? 2030,
        extended_authorization: { status: 'disabled' },
        fingerprint: card?.fingerprint ?? null,
        funding: card?.funding ?? 'credit',
        incremental_authorization: { status: 'unavailable' },
        installments: null,
        last4: card?.last4 ?? null,
        mandate: null,
        multicapture: { status: 'unavailable' },
        network: card?.brand ?? null,
        network_token: { used: false },
        network_transaction_id: null,
        overcapture: { maximum_amount_capturable: intent.amount, status: 'unavailable' },
        regulated_status: 'unregulated',
        three_d_secure: null,
        wallet: null,
      },
      type: 'card',
    } as Charge['payment_method_details'],
    receipt_email: intent.receipt_email,
    receipt_number: null,
    receipt_url: failed ? null : `${engine.settings.publicUrl}/receipts/${id}`,
    refunded: false,
    refunds: { object: 'list', data: [], has_more: false, url: `/v1/charges/${id}/refunds` },
    review: null,
    shipping: intent.shipping,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: failed ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}
