/**
 * Payment intents and charges: `/v1/payment_intents` (create, confirm, capture, cancel) and `/v1/charges`.
 */
import { settleInvoiceForIntent } from '../billing/invoicing.js';
import { changedFields, type Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import {
  attachPaymentMethod,
  chargeIntent,
  createPaymentIntent,
  customerPaymentMethod,
  resolvePaymentMethod,
} from '../payments.js';
import type { ApiHandler, Router } from '../router.js';
import { shippingFrom, snapshotOf } from '../shapes.js';
import type { PaymentIntent } from '../types.js';

export function registerPaymentIntents(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/payment_intents', (engine, request) => {
      const { params } = request;
      const customer = params.string('customer') ?? null;
      if (customer !== null) engine.require('customer', customer, 'customer');
      const intent = createPaymentIntent(engine, {
        amount: params.requiredInteger('amount'),
        currency: params.requiredString('currency').toLowerCase(),
        customer,
        description: params.string('description') ?? null,
        metadata: params.metadata() ?? {},
        paymentMethodTypes: params.has('payment_method_types')
          ? params.strings('payment_method_types')
          : undefined,
        shipping: params.has('shipping')
          ? (shippingFrom(params.object('shipping')?.raw) as PaymentIntent['shipping'])
          : null,
        setupFutureUsage: params.oneOf('setup_future_usage', ['on_session', 'off_session'] as const) ?? null,
        captureMethod: params.oneOf('capture_method', ['automatic', 'automatic_async', 'manual'] as const),
        receiptEmail: params.string('receipt_email') ?? null,
      });
      if (intent.amount < 50)
        throw invalidRequest('Amount must be at least $0.50 usd', 'amount', 'amount_too_small');
      setPaymentMethod(engine, intent, params);
      if (params.boolean('confirm')) confirm(engine, intent, params);
      return engine.view(intent);
    })
    .add('GET', '/v1/payment_intents', (engine, request) => {
      const customer = request.params.string('customer');
      const intents = engine.store
        .all('payment_intent')
        .filter((pi) => customer === undefined || pi.customer === customer);
      return paginate(intents, request.params, '/v1/payment_intents');
    })
    .add('GET', '/v1/payment_intents/:id', (engine, request) =>
      engine.view(engine.require('payment_intent', request.pathParams.id!)),
    )
    .add('POST', '/v1/payment_intents/:id', (engine, request) => {
      const intent = engine.require('payment_intent', request.pathParams.id!);
      const before = snapshotOf(intent);
      const { params } = request;
      if (params.has('amount')) intent.amount = params.requiredInteger('amount');
      if (params.has('description')) intent.description = params.nullableString('description') ?? null;
      if (params.has('customer')) intent.customer = params.nullableString('customer') ?? null;
      const metadata = params.metadata(intent.metadata);
      if (metadata) intent.metadata = metadata;
      setPaymentMethod(engine, intent, params);
      const previous = changedFields(before, intent as unknown as Record<string, unknown>);
      engine.store.touch();
      if (Object.keys(previous).length > 0) engine.emit('payment_intent.updated', intent, previous);
      return engine.view(intent);
    })
    .add('POST', '/v1/payment_intents/:id/confirm', (engine, request) => {
      const intent = engine.require('payment_intent', request.pathParams.id!);
      setPaymentMethod(engine, intent, request.params);
      confirm(engine, intent, request.params);
      return engine.view(intent);
    })
    .add('POST', '/v1/payment_intents/:id/capture', (engine, request) => {
      const intent = engine.require('payment_intent', request.pathParams.id!);
      if (intent.status !== 'requires_capture') throw unexpectedState(intent, 'capture');
      const amount = request.params.integer('amount_to_capture') ?? intent.amount_capturable;
      intent.amount_received = amount;
      intent.amount_capturable = 0;
      intent.status = 'succeeded';
      const charge =
        typeof intent.latest_charge === 'string' ? engine.get('charge', intent.latest_charge) : undefined;
      if (charge) {
        charge.captured = true;
        charge.amount_captured = amount;
        engine.emit('charge.captured', charge);
      }
      engine.store.touch();
      engine.emit('payment_intent.succeeded', intent);
      return engine.view(intent);
    })
    .add('POST', '/v1/payment_intents/:id/cancel', (engine, request) => {
      const intent = engine.require('payment_intent', request.pathParams.id!);
      if (intent.status === 'succeeded' || intent.status === 'canceled')
        throw unexpectedState(intent, 'cancel');
      intent.status = 'canceled';
      intent.canceled_at = engine.nowFor(intent);
      intent.cancellation_reason =
        request.params.oneOf('cancellation_reason', [
          'duplicate',
          'fraudulent',
          'requested_by_customer',
          'abandoned',
        ] as const) ?? null;
      engine.store.touch();
      engine.emit('payment_intent.canceled', intent);
      return engine.view(intent);
    })
    .add('GET', '/v1/charges', (engine, request) => {
      const customer = request.params.string('customer');
      const intent = request.params.string('payment_intent');
      const charges = engine.store
        .all('charge')
        .filter((charge) => customer === undefined || charge.customer === customer)
        .filter((charge) => intent === undefined || charge.payment_intent === intent);
      return paginate(charges, request.params, '/v1/charges');
    })
    .add('GET', '/v1/charges/:id', (engine, request) =>
      engine.view(engine.require('charge', request.pathParams.id!)),
    );
}

function unexpectedState(intent: PaymentIntent, action: string) {
  return invalidRequest(
    `This PaymentIntent could not be ${action === 'capture' ? 'captured' : 'canceled'} because it has a status of ${intent.status}.`,
    undefined,
    'payment_intent_unexpected_state',
  );
}

function setPaymentMethod(engine: Engine, intent: PaymentIntent, params: Params): void {
  const id = params.string('payment_method');
  if (!id) return;
  const customer = typeof intent.customer === 'string' ? intent.customer : null;
  const paymentMethod = customer
    ? customerPaymentMethod(engine, customer, id, 'payment_method')
    : resolvePaymentMethod(engine, id);
  intent.payment_method = paymentMethod.id;
  if (intent.status === 'requires_payment_method') intent.status = 'requires_confirmation';
  engine.store.touch();
}

function confirm(engine: Engine, intent: PaymentIntent, params: Params): void {
  if (intent.status === 'succeeded' || intent.status === 'canceled' || intent.status === 'requires_capture') {
    throw unexpectedState(intent, 'confirm');
  }
  const error = chargeIntent(engine, intent);
  if (error) throw error;
  settleInvoiceForIntent(engine, intent);
  const customer = typeof intent.customer === 'string' ? intent.customer : null;
  const paymentMethodId = typeof intent.payment_method === 'string' ? intent.payment_method : null;
  // setup_future_usage saves the card on the customer, as Stripe does after a successful payment.
  if (customer && paymentMethodId && (intent.setup_future_usage || params.has('setup_future_usage'))) {
    const paymentMethod = engine.require('payment_method', paymentMethodId);
    if (paymentMethod.customer === null) attachPaymentMethod(engine, paymentMethod, customer);
  }
}
