/**
 * Customers: `/v1/customers` create, retrieve, update, delete, list, and their payment methods.
 */

import { cancelSubscriptionNow } from '../billing/lifecycle.js';
import { changedFields, type Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import { attachPaymentMethod, customerPaymentMethod, resolvePaymentMethod } from '../payments.js';
import type { ApiHandler, Router } from '../router.js';
import { addressFrom, shippingFrom, snapshotOf } from '../shapes.js';
import type { Customer, PaymentMethod } from '../types.js';

export function registerCustomers(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/customers', (engine, request) => createCustomer(engine, request.params))
    .add('GET', '/v1/customers', (engine, request) => {
      const { params } = request;
      const email = params.string('email');
      const clock = params.string('test_clock');
      const customers = engine.store
        .all('customer')
        .filter((customer) => email === undefined || customer.email === email)
        .filter((customer) => clock === undefined || customer.test_clock === clock);
      return paginate(
        customers.map((customer) => engine.view(customer)),
        params,
        '/v1/customers',
      );
    })
    .add('GET', '/v1/customers/:id', (engine, request) => {
      const id = request.pathParams.id!;
      if (engine.store.wasDeleted('customer', id)) return { id, object: 'customer', deleted: true };
      return engine.view(engine.require('customer', id));
    })
    .add('POST', '/v1/customers/:id', (engine, request) =>
      updateCustomer(engine, request.pathParams.id!, request.params),
    )
    .add('DELETE', '/v1/customers/:id', (engine, request) => deleteCustomer(engine, request.pathParams.id!))
    .add('GET', '/v1/customers/:id/payment_methods', (engine, request) => {
      const id = request.pathParams.id!;
      engine.require('customer', id);
      const methods = engine.store.all('payment_method').filter((pm) => pm.customer === id);
      return paginate(
        methods.map((pm) => engine.view(pm)),
        request.params,
        `/v1/customers/${id}/payment_methods`,
      );
    });
}

export function createCustomer(engine: Engine, params: Params): Customer {
  const clock = params.string('test_clock') ?? null;
  if (clock !== null) engine.require('test_helpers.test_clock', clock, 'test_clock');
  const id = newId('cus');
  const customer: Customer = {
    id,
    object: 'customer',
    address: params.has('address') ? addressFrom(params.object('address')?.raw) : null,
    balance: params.integer('balance') ?? 0,
    created: engine.now(clock),
    currency: null,
    customer_account: null,
    default_source: null,
    delinquent: false,
    description: params.string('description') ?? null,
    discount: null,
    email: params.string('email') ?? null,
    invoice_prefix: randomToken(8).toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: params.metadata() ?? {},
    name: params.string('name') ?? null,
    next_invoice_sequence: 1,
    phone: params.string('phone') ?? null,
    preferred_locales: params.strings('preferred_locales'),
    shipping: params.has('shipping') ? shippingFrom(params.object('shipping')?.raw) : null,
    tax_exempt: params.oneOf('tax_exempt', ['none', 'exempt', 'reverse'] as const) ?? 'none',
    test_clock: clock,
  };
  engine.store.insert<'customer'>(customer);
  // Stripe reports the finished customer in customer.created, then the attachment it made.
  const paymentMethodParam = params.string('payment_method');
  const attached = paymentMethodParam
    ? attachPaymentMethod(engine, resolvePaymentMethod(engine, paymentMethodParam), id, false)
    : undefined;
  const attachedSource = applyPaymentSettings(engine, customer, params, false);
  engine.emit('customer.created', customer);
  for (const paymentMethod of [attached, attachedSource]) {
    if (paymentMethod) engine.emit('payment_method.attached', paymentMethod);
  }
  return engine.view(customer);
}

/** Applies `source` and `invoice_settings`; returns the payment method made from `source`, if any. */
function applyPaymentSettings(
  engine: Engine,
  customer: Customer,
  params: Params,
  emitEvents = true,
): PaymentMethod | undefined {
  const source = params.string('source');
  let attached: PaymentMethod | undefined;
  if (source) {
    attached = attachPaymentMethod(
      engine,
      resolvePaymentMethod(engine, source, 'source'),
      customer.id,
      emitEvents,
    );
    customer.default_source = attached.id;
  }
  const settings = params.object('invoice_settings');
  if (settings === undefined) return attached;
  if (settings.isUnset('default_payment_method')) {
    customer.invoice_settings.default_payment_method = null;
  } else {
    const wanted = settings.string('default_payment_method');
    if (wanted) {
      const pm = customerPaymentMethod(
        engine,
        customer.id,
        wanted,
        'invoice_settings[default_payment_method]',
      );
      if (pm.customer !== customer.id) {
        throw invalidRequest(
          `The customer does not have a payment method with the ID ${wanted}. The payment method must be attached to the customer.`,
          'invoice_settings[default_payment_method]',
          'resource_missing',
        );
      }
      customer.invoice_settings.default_payment_method = pm.id;
    }
  }
  if (settings.has('footer')) customer.invoice_settings.footer = settings.nullableString('footer') ?? null;
  return attached;
}

export function updateCustomer(engine: Engine, id: string, params: Params): Customer {
  const customer = engine.require('customer', id);
  const before = snapshotOf(customer);
  if (params.has('email')) customer.email = params.nullableString('email') ?? null;
  if (params.has('name')) customer.name = params.nullableString('name') ?? null;
  if (params.has('description')) customer.description = params.nullableString('description') ?? null;
  if (params.has('phone')) customer.phone = params.nullableString('phone') ?? null;
  if (params.has('balance')) customer.balance = params.integer('balance') ?? 0;
  if (params.has('address'))
    customer.address = params.isUnset('address') ? null : addressFrom(params.object('address')?.raw);
  if (params.has('shipping'))
    customer.shipping = params.isUnset('shipping') ? null : shippingFrom(params.object('shipping')?.raw);
  if (params.has('preferred_locales')) customer.preferred_locales = params.strings('preferred_locales');
  const metadata = params.metadata(customer.metadata);
  if (metadata) customer.metadata = metadata;
  applyPaymentSettings(engine, customer, params);
  if (params.has('default_source')) customer.default_source = params.nullableString('default_source') ?? null;
  const previous = changedFields(before, customer as unknown as Record<string, unknown>);
  engine.store.touch();
  if (Object.keys(previous).length > 0) engine.emit('customer.updated', customer, previous);
  return engine.view(customer);
}

export function deleteCustomer(
  engine: Engine,
  id: string,
): { id: string; object: 'customer'; deleted: true } {
  const customer = engine.require('customer', id);
  for (const subscription of engine.store.all('subscription')) {
    if (
      subscription.customer === id &&
      subscription.status !== 'canceled' &&
      subscription.status !== 'incomplete_expired'
    ) {
      cancelSubscriptionNow(engine, subscription, 'cancellation_requested');
    }
  }
  for (const paymentMethod of engine.store.all('payment_method')) {
    if (paymentMethod.customer === id) paymentMethod.customer = null;
  }
  const view = engine.view(customer);
  engine.store.remove(id);
  engine.emit('customer.deleted', view);
  return { id, object: 'customer', deleted: true };
}
