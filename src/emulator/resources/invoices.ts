/**
 * Invoices: `/v1/invoices` create, retrieve, update, delete (drafts), list, lines, and the actions
 * finalize, pay, send, void and mark_uncollectible.
 */
import {
  createInvoice,
  finalizeInvoice,
  invoiceIntent,
  markUncollectible,
  payInvoice,
  pullPendingItems,
  voidInvoice,
} from '../billing/invoicing.js';
import { changedFields, type Engine } from '../engine.js';
import { invalidRequest } from '../errors.js';
import { listOf, paginate } from '../pagination.js';
import { customerPaymentMethod } from '../payments.js';
import type { ApiHandler, Router } from '../router.js';
import { snapshotOf } from '../shapes.js';
import type { ApiObject, Invoice } from '../types.js';
import { previewInvoice } from './invoice-preview.js';

export function registerInvoices(api: Router<ApiHandler>, engine: Engine): void {
  installInvoiceVirtualFields(engine);
  api
    // Before `/v1/invoices/:id`, which would otherwise take `create_preview` for an id.
    .add('POST', '/v1/invoices/create_preview', (engine, request) => previewInvoice(engine, request.params))
    .add('POST', '/v1/invoices', (engine, request) => {
      const { params } = request;
      const customer = engine.require('customer', params.requiredString('customer'), 'customer');
      const subscription = params.string('subscription') ?? null;
      const invoice = createInvoice(engine, {
        customer,
        subscription,
        billingReason: 'manual',
        collectionMethod: params.oneOf('collection_method', [
          'charge_automatically',
          'send_invoice',
        ] as const),
        daysUntilDue: params.integer('days_until_due') ?? null,
        description: params.string('description') ?? null,
        metadata: params.metadata() ?? {},
        autoAdvance: params.boolean('auto_advance') ?? false,
        defaultPaymentMethod: params.string('default_payment_method') ?? null,
        footer: params.string('footer') ?? null,
      });
      const pending =
        params.oneOf('pending_invoice_items_behavior', ['include', 'exclude'] as const) ?? 'exclude';
      if (pending === 'include') pullPendingItems(engine, invoice, subscription ?? undefined);
      engine.emit('invoice.created', invoice);
      return engine.view(invoice);
    })
    .add('GET', '/v1/invoices', (engine, request) => {
      const { params } = request;
      const customer = params.string('customer');
      const subscription = params.string('subscription');
      const status = params.string('status');
      const invoices = engine.store
        .all('invoice')
        .filter((invoice) => customer === undefined || invoice.customer === customer)
        .filter(
          (invoice) =>
            subscription === undefined || invoice.parent?.subscription_details?.subscription === subscription,
        )
        .filter((invoice) => status === undefined || invoice.status === status);
      return paginate(invoices, params, '/v1/invoices');
    })
    .add('GET', '/v1/invoices/:id', (engine, request) => {
      const id = request.pathParams.id!;
      return engine.view(engine.require('invoice', id));
    })
    .add('GET', '/v1/invoices/:id/lines', (engine, request) => {
      const invoice = engine.require('invoice', request.pathParams.id!);
      return paginate(invoice.lines.data, request.params, `/v1/invoices/${invoice.id}/lines`);
    })
    .add('POST', '/v1/invoices/:id', (engine, request) => {
      const invoice = engine.require('invoice', request.pathParams.id!);
      const { params } = request;
      const before = snapshotOf(invoice);
      const draftOnly = [
        'collection_method',
        'days_until_due',
        'default_payment_method',
        'footer',
        'due_date',
      ];
      if (invoice.status !== 'draft' && draftOnly.some((key) => params.has(key))) {
        throw invalidRequest(
          'You can only modify this field on draft invoices.',
          draftOnly.find((key) => params.has(key)),
          'invoice_not_editable',
        );
      }
      if (params.has('description')) invoice.description = params.nullableString('description') ?? null;
      if (params.has('footer')) invoice.footer = params.nullableString('footer') ?? null;
      if (params.has('auto_advance')) invoice.auto_advance = params.boolean('auto_advance') ?? false;
      if (params.has('due_date')) invoice.due_date = params.integer('due_date') ?? null;
      if (params.has('default_payment_method')) {
        const pm = params.nullableString('default_payment_method');
        invoice.default_payment_method = pm
          ? customerPaymentMethod(engine, String(invoice.customer), pm, 'default_payment_method').id
          : null;
      }
      const metadata = params.metadata(invoice.metadata ?? {});
      if (metadata) invoice.metadata = metadata;
      const previous = changedFields(before, invoice as unknown as Record<string, unknown>);
      engine.store.touch();
      if (Object.keys(previous).length > 0) engine.emit('invoice.updated', invoice, previous);
      return engine.view(invoice);
    })
    .add('DELETE', '/v1/invoices/:id', (engine, request) => {
      const id = request.pathParams.id!;
      const invoice = engine.require('invoice', id);
      if (invoice.status !== 'draft') {
        throw invalidRequest(
          'You can only delete draft invoices. Void it instead.',
          undefined,
          'invoice_not_editable',
        );
      }
      // Its invoice items go back to pending, as Stripe does.
      for (const item of engine.store.all('invoiceitem')) if (item.invoice === id) item.invoice = null;
      const view = engine.view(invoice);
      engine.store.remove(id);
      engine.emit('invoice.deleted', view);
      return { id, object: 'invoice', deleted: true };
    })
    .add('POST', '/v1/invoices/:id/finalize', (engine, request) => {
      const invoice = engine.require('invoice', request.pathParams.id!);
      finalizeInvoice(engine, invoice);
      if (request.params.boolean('auto_advance') === false) invoice.auto_advance = false;
      return engine.view(invoice);
    })
    .add('POST', '/v1/invoices/:id/pay', (engine, request) => {
      const invoice = engine.require('invoice', request.pathParams.id!);
      const { params } = request;
      if (params.boolean('paid_out_of_band')) {
        if (invoice.status === 'draft') finalizeInvoice(engine, invoice);
        if (invoice.status !== 'paid') {
          invoice.amount_paid = invoice.amount_due;
          invoice.amount_remaining = 0;
          invoice.status = 'paid';
          invoice.status_transitions.paid_at = engine.nowFor(invoice as never);
          engine.store.touch();
          engine.emit('invoice.paid', invoice);
        }
        return engine.view(invoice);
      }
      const pm = params.string('payment_method');
      const paymentMethod = pm
        ? customerPaymentMethod(engine, String(invoice.customer), pm, 'payment_method').id
        : null;
      const error = payInvoice(engine, invoice, { paymentMethod, automatic: false });
      if (error) throw error;
      return engine.view(invoice);
    })
    .add('POST', '/v1/invoices/:id/send', (engine, request) => {
      const invoice = engine.require('invoice', request.pathParams.id!);
      if (invoice.status === 'draft') finalizeInvoice(engine, invoice);
      engine.emit('invoice.sent', invoice);
      return engine.view(invoice);
    })
    .add('POST', '/v1/invoices/:id/void', (engine, request) =>
      engine.view(voidInvoice(engine, engine.require('invoice', request.pathParams.id!))),
    )
    .add('POST', '/v1/invoices/:id/mark_uncollectible', (engine, request) =>
      engine.view(markUncollectible(engine, engine.require('invoice', request.pathParams.id!))),
    );
}

/**
 * Expandable invoice fields that are not stored: `payments` (the invoice's payment intents),
 * `confirmation_secret`, and `payment_intent`, which API versions before 2025-03-31 had on invoices and
 * which older clients still expand (`latest_invoice.payment_intent`).
 */
function installInvoiceVirtualFields(engine: Engine): void {
  engine.addVirtualField('invoice', (object: ApiObject, field: string) => {
    const invoice = object as unknown as Invoice;
    const intent = invoiceIntent(engine, invoice);
    switch (field) {
      case 'payment_intent':
        return intent?.id ?? null;
      case 'confirmation_secret':
        return intent?.client_secret ? { client_secret: intent.client_secret, type: 'payment_intent' } : null;
      case 'payments':
        return listOf(
          intent
            ? [
                {
                  id: `inpay_${intent.id.slice(3)}`,
                  object: 'invoice_payment',
                  amount_paid: intent.status === 'succeeded' ? intent.amount_received : null,
                  amount_requested: intent.amount,
                  created: intent.created,
                  currency: intent.currency,
                  invoice: invoice.id,
                  is_default: true,
                  livemode: false,
                  payment: { payment_intent: intent.id, type: 'payment_intent' },
                  status:
                    intent.status === 'succeeded'
                      ? 'paid'
                      : intent.status === 'canceled'
                        ? 'canceled'
                        : 'open',
                  status_transitions: {
                    canceled_at: intent.canceled_at,
                    paid_at: intent.status === 'succeeded' ? invoice.status_transitions.paid_at : null,
                  },
                },
              ]
            : [],
          `/v1/invoice_payments?invoice=${invoice.id}`,
        );
      default:
        return undefined;
    }
  });
}
