/**
 * Payment methods: create from a test token or card number, retrieve, update, list, attach, detach.
 */
import { testCardFor, testCardForNumber } from '../cards.js';
import { changedFields, type Engine } from '../engine.js';
import { invalidRequest, missingParam } from '../errors.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import { attachPaymentMethod, createCardPaymentMethod, resolvePaymentMethod } from '../payments.js';
import type { ApiHandler, Router } from '../router.js';
import { addressFrom, emptyAddress, snapshotOf } from '../shapes.js';
import type { PaymentMethod } from '../types.js';

export function registerPaymentMethods(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/payment_methods', (engine, request) =>
      engine.view(createPaymentMethod(engine, request.params)),
    )
    .add('GET', '/v1/payment_methods', (engine, request) => {
      const { params } = request;
      const customer = params.string('customer');
      const type = params.string('type');
      const methods = engine.store
        .all('payment_method')
        .filter((pm) => customer === undefined || pm.customer === customer)
        .filter((pm) => type === undefined || pm.type === type);
      return paginate(
        methods.map((pm) => engine.view(pm)),
        params,
        '/v1/payment_methods',
      );
    })
    .add('GET', '/v1/payment_methods/:id', (engine, request) =>
      engine.view(resolvePaymentMethod(engine, request.pathParams.id!, 'id')),
    )
    .add('POST', '/v1/payment_methods/:id', (engine, request) => {
      const paymentMethod = engine.require('payment_method', request.pathParams.id!);
      const before = snapshotOf(paymentMethod);
      const details = request.params.object('billing_details');
      if (details) paymentMethod.billing_details = billingDetailsFrom(details, paymentMethod.billing_details);
      const metadata = request.params.metadata(paymentMethod.metadata ?? {});
      if (metadata) paymentMethod.metadata = metadata;
      const previous = changedFields(before, paymentMethod as unknown as Record<string, unknown>);
      engine.store.touch();
      if (Object.keys(previous).length > 0) engine.emit('payment_method.updated', paymentMethod, previous);
      return engine.view(paymentMethod);
    })
    .add('POST', '/v1/payment_methods/:id/attach', (engine, request) => {
      const customer = request.params.requiredString('customer');
      const paymentMethod = resolvePaymentMethod(engine, request.pathParams.id!, 'payment_method');
      return engine.view(attachPaymentMethod(engine, paymentMethod, customer));
    })
    .add('POST', '/v1/payment_methods/:id/detach', (engine, request) =>
      engine.view(detachPaymentMethod(engine, request.pathParams.id!)),
    );
}

function createPaymentMethod(engine: Engine, params: Params): PaymentMethod {
  const type = params.string('type') ?? 'card';
  if (type !== 'card')
    throw invalidRequest(`The emulator only supports card payment methods, not '${type}'.`, 'type');
  const card = params.object('card');
  if (card === undefined) throw missingParam('card');
  const token = card.string('token');
  const number = card.string('number');
  const testCard = token ? testCardFor(token) : number ? testCardForNumber(number) : undefined;
  if (testCard === undefined) {
    throw invalidRequest(
      token ? `No such token: '${token}'` : 'Your card number is incorrect. Use a Stripe test card number.',
      token ? 'card[token]' : 'card[number]',
      token ? 'resource_missing' : 'incorrect_number',
    );
  }
  const details = params.object('billing_details');
  return createCardPaymentMethod(engine, testCard, {
    billingDetails: details ? billingDetailsFrom(details) : undefined,
    metadata: params.metadata() ?? {},
  });
}

function billingDetailsFrom(
  params: Params,
  existing?: PaymentMethod['billing_details'],
): PaymentMethod['billing_details'] {
  const base = existing ?? { address: emptyAddress(), email: null, name: null, phone: null, tax_id: null };
  return {
    address: params.has('address') ? addressFrom(params.object('address')?.raw) : base.address,
    email: params.has('email') ? (params.nullableString('email') ?? null) : base.email,
    name: params.has('name') ? (params.nullableString('name') ?? null) : base.name,
    phone: params.has('phone') ? (params.nullableString('phone') ?? null) : base.phone,
    tax_id: base.tax_id,
  };
}

export function detachPaymentMethod(engine: Engine, id: string): PaymentMethod {
  const paymentMethod = engine.require('payment_method', id);
  const customerId = paymentMethod.customer;
  if (typeof customerId !== 'string') {
    throw invalidRequest(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      'payment_method',
      'payment_method_unexpected_state',
    );
  }
  const before = snapshotOf(paymentMethod);
  paymentMethod.customer = null;
  const customer = engine.get('customer', customerId);
  if (customer) {
    const customerBefore = snapshotOf(customer);
    if (customer.invoice_settings.default_payment_method === id)
      customer.invoice_settings.default_payment_method = null;
    if (customer.default_source === id) customer.default_source = null;
    const previous = changedFields(customerBefore, customer as unknown as Record<string, unknown>);
    if (Object.keys(previous).length > 0) engine.emit('customer.updated', customer, previous);
  }
  engine.store.touch();
  engine.emit('payment_method.detached', paymentMethod, { customer: before.customer });
  return paymentMethod;
}
