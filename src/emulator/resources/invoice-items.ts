/**
 * Invoice items: one-off charges and proration adjustments waiting for the customer's next invoice
 * (`/v1/invoiceitems`).
 */

import { lineFromInvoiceItem, recomputeTotals } from '../billing/invoicing.js';
import { priceAmount } from '../billing/price-amount.js';
import type { Engine } from '../engine.js';
import { invalidRequest, missingParam } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../pagination.js';
import type { Params } from '../params.js';
import type { ApiHandler, Router } from '../router.js';
import type { InvoiceItem, Price } from '../types.js';

export function registerInvoiceItems(api: Router<ApiHandler>): void {
  api
    .add('POST', '/v1/invoiceitems', (engine, request) =>
      engine.view(createInvoiceItemFromParams(engine, request.params)),
    )
    .add('GET', '/v1/invoiceitems', (engine, request) => {
      const { params } = request;
      const customer = params.string('customer');
      const invoice = params.string('invoice');
      const pending = params.boolean('pending');
      const items = engine.store
        .all('invoiceitem')
        .filter((item) => customer === undefined || item.customer === customer)
        .filter((item) => invoice === undefined || item.invoice === invoice)
        .filter((item) => pending === undefined || (item.invoice === null) === pending);
      return paginate(items, params, '/v1/invoiceitems');
    })
    .add('GET', '/v1/invoiceitems/:id', (engine, request) => {
      const id = request.pathParams.id!;
      if (engine.store.wasDeleted('invoiceitem', id)) return { id, object: 'invoiceitem', deleted: true };
      return engine.view(engine.require('invoiceitem', id));
    })
    .add('POST', '/v1/invoiceitems/:id', (engine, request) => {
      const item = engine.require('invoiceitem', request.pathParams.id!);
      assertEditable(engine, item);
      const { params } = request;
      if (params.has('description')) item.description = params.nullableString('description') ?? null;
      if (params.has('amount')) item.amount = params.requiredInteger('amount');
      const metadata = params.metadata(item.metadata ?? {});
      if (metadata) item.metadata = metadata;
      syncLine(engine, item);
      engine.store.touch();
      return engine.view(item);
    })
    .add('DELETE', '/v1/invoiceitems/:id', (engine, request) => {
      const id = request.pathParams.id!;
      const item = engine.require('invoiceitem', id);
      assertEditable(engine, item);
      if (typeof item.invoice === 'string') {
        const invoice = engine.require('invoice', item.invoice);
        invoice.lines.data = invoice.lines.data.filter(
          (line) => line.parent?.invoice_item_details?.invoice_item !== id,
        );
        recomputeTotals(engine, invoice);
      }
      const view = engine.view(item);
      engine.store.remove(id);
      engine.emit('invoiceitem.deleted', view);
      return { id, object: 'invoiceitem', deleted: true };
    });
}

function assertEditable(engine: Engine, item: InvoiceItem): void {
  if (typeof item.invoice !== 'string') return;
  const invoice = engine.get('invoice', item.invoice);
  if (invoice && invoice.status !== 'draft') {
    throw invalidRequest(
      'This invoice item belongs to an invoice that is no longer a draft and cannot be changed.',
      undefined,
      'invoice_not_editable',
    );
  }
}

function syncLine(engine: Engine, item: InvoiceItem): void {
  if (typeof item.invoice !== 'string') return;
  const invoice = engine.require('invoice', item.invoice);
  invoice.lines.data = invoice.lines.data.map((line) =>
    line.parent?.invoice_item_details?.invoice_item === item.id
      ? { ...lineFromInvoiceItem(item, invoice.id), id: line.id }
      : line,
  );
  recomputeTotals(engine, invoice);
}

function createInvoiceItemFromParams(engine: Engine, params: Params): InvoiceItem {
  const customer = params.requiredString('customer');
  const priceId = params.string('price') ?? params.object('pricing')?.string('price');
  const price = priceId ? engine.require('price', priceId, 'price') : undefined;
  const quantity = params.integer('quantity') ?? 1;
  const amount = params.integer('amount') ?? (price ? priceAmount(price, quantity) : undefined);
  if (amount === undefined) throw missingParam('amount');
  const invoiceId = params.string('invoice') ?? null;
  const subscription = params.string('subscription') ?? null;
  const period = params.object('period');
  const item = createInvoiceItem(engine, {
    customer,
    amount,
    currency: params.string('currency')?.toLowerCase() ?? price?.currency ?? 'usd',
    description: params.string('description') ?? null,
    metadata: params.metadata() ?? {},
    price,
    quantity,
    subscription,
    proration: false,
    period: period
      ? { start: period.requiredInteger('start'), end: period.requiredInteger('end') }
      : undefined,
    discountable: params.boolean('discountable') ?? true,
  });
  if (invoiceId !== null) {
    const invoice = engine.require('invoice', invoiceId, 'invoice');
    if (invoice.status !== 'draft')
      throw invalidRequest(
        'You can only add invoice items to draft invoices.',
        'invoice',
        'invoice_not_editable',
      );
    item.invoice = invoiceId;
    invoice.lines.data.push(lineFromInvoiceItem(item, invoiceId));
    recomputeTotals(engine, invoice);
  }
  return item;
}

export interface NewInvoiceItem {
  customer: string;
  amount: number;
  currency: string;
  description: string | null;
  metadata?: Record<string, string>;
  price?: Price;
  quantity?: number;
  subscription?: string | null;
  proration: boolean;
  period?: { start: number; end: number };
  discountable?: boolean;
}

export function createInvoiceItem(engine: Engine, input: NewInvoiceItem): InvoiceItem {
  const customer = engine.require('customer', input.customer, 'customer');
  const now = engine.nowFor(customer as never);
  const quantity = input.quantity ?? 1;
  const product = input.price
    ? typeof input.price.product === 'string'
      ? input.price.product
      : input.price.product.id
    : undefined;
  const item: InvoiceItem = {
    id: newId('ii', 24),
    object: 'invoiceitem',
    amount: input.amount,
    currency: input.currency,
    customer: input.customer,
    customer_account: null,
    date: now,
    description: input.description,
    discountable: input.discountable ?? !input.proration,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: input.metadata ?? {},
    net_amount: input.amount,
    parent: input.subscription
      ? { subscription_details: { subscription: input.subscription }, type: 'subscription_details' }
      : null,
    period: input.period ?? { start: now, end: now },
    pricing: {
      ...(input.price && product ? { price_details: { price: input.price.id, product } } : {}),
      type: 'price_details',
      unit_amount_decimal: input.price?.unit_amount_decimal ?? String(Math.trunc(input.amount / quantity)),
    },
    proration: input.proration,
    quantity,
    quantity_decimal: String(quantity),
    tax_rates: [],
    test_clock: customer.test_clock ?? null,
  };
  engine.store.insert<'invoiceitem'>(item);
  engine.emit('invoiceitem.created', item);
  return item;
}
