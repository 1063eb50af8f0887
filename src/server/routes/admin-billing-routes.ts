/**
 * The admin's view of billing: the webhook event log (with replay), all invoices, revenue figures and,
 * in test mode with a followed test clock, advancing that clock. Served when the Stripe side is
 * configured (the composition root passes `adminBilling`).
 */
import { z } from 'zod';
import type { InvoiceRecord, WebhookEventRecord } from '../../core/billing/billing-records.js';
import { recordRevenueSnapshot, revenueHistory } from '../../core/billing/revenue-history.js';
import { TollgateError } from '../../core/errors.js';
import type { Tollgate } from '../../core/tollgate.js';
import type { AdvanceResult, AdvanceTarget } from '../../stripe/test-clock/advance-test-clock.js';
import type { WebhookInbox } from '../../stripe/webhooks/webhook-inbox.js';
import type { ApiRouter } from '../api-router.js';
import { adminActor } from './admin-routes.js';

export interface AdminBillingOptions {
  inbox: WebhookInbox;
  /** Advances the followed test clock; absent outside test mode (the route is then not served). */
  advanceClock?: (target: AdvanceTarget) => Promise<AdvanceResult>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const idSchema = z.string().min(1).max(255);

const eventSchema = z.object({
  id: z.string(),
  type: z.string(),
  created: z.string().describe("Stripe's created time (ISO 8601)"),
  received_at: z.string(),
  status: z.enum(['received', 'processed', 'failed']),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  processed_at: z.string().nullable(),
});

const eventView = (event: WebhookEventRecord): z.input<typeof eventSchema> => ({
  id: event.id,
  type: event.type,
  created: new Date(event.created).toISOString(),
  received_at: new Date(event.receivedAt).toISOString(),
  status: event.status,
  attempts: event.attempts,
  last_error: event.lastError,
  processed_at: iso(event.processedAt),
});

const invoiceStatus = z.enum(['draft', 'open', 'paid', 'void', 'uncollectible']);
const invoiceSchema = z.object({
  id: z.string(),
  customer_id: z.string().nullable(),
  stripe_customer_id: z.string(),
  subscription_id: z.string().nullable(),
  status: invoiceStatus,
  amount_due: z.number().int().describe('Minor units of currency'),
  amount_paid: z.number().int(),
  currency: z.string(),
  hosted_invoice_url: z.string().nullable(),
  invoice_pdf: z.string().nullable(),
  period_start: z.string().nullable(),
  period_end: z.string().nullable(),
  paid_at: z.string().nullable(),
  created: z.string(),
});

const invoiceView = (invoice: InvoiceRecord): z.input<typeof invoiceSchema> => ({
  id: invoice.id,
  customer_id: invoice.customerId,
  stripe_customer_id: invoice.stripeCustomerId,
  subscription_id: invoice.subscriptionId,
  status: invoice.status,
  amount_due: invoice.amountDue,
  amount_paid: invoice.amountPaid,
  currency: invoice.currency,
  hosted_invoice_url: invoice.hostedInvoiceUrl,
  invoice_pdf: invoice.invoicePdf,
  period_start: iso(invoice.periodStart),
  period_end: iso(invoice.periodEnd),
  paid_at: iso(invoice.paidAt),
  created: new Date(invoice.created).toISOString(),
});

const pageLimit = z.coerce.number().int().min(1).max(100).default(20).describe('Page size, at most 100');

export function registerAdminBillingRoutes(
  router: ApiRouter,
  tollgate: Tollgate,
  options: AdminBillingOptions,
): void {
  router.route({
    method: 'GET',
    url: '/api/v1/admin/events',
    access: 'admin',
    tag: 'admin',
    summary: 'The Stripe webhook event log, newest first',
    query: z.strictObject({
      limit: pageLimit,
      starting_after: idSchema.optional().describe('The last event id of the previous page'),
      status: z.enum(['received', 'processed', 'failed']).optional(),
      type: z.string().min(1).max(255).optional().describe('An event type, e.g. invoice.payment_failed'),
    }),
    response: {
      description: 'One page of events',
      schema: z.object({ data: z.array(eventSchema), has_more: z.boolean() }),
    },
    async handler({ query }) {
      const page = await tollgate.store.listWebhookEvents({
        limit: query.limit,
        ...(query.starting_after ? { after: query.starting_after } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.type ? { type: query.type } : {}),
      });
      return { data: page.events.map(eventView), has_more: page.hasMore };
    },
  });

  router.route({
    method: 'POST',
    url: '/api/v1/admin/events/:id/replay',
    access: 'admin',
    tag: 'admin',
    summary: 'Apply a stored webhook event again',
    description: 'Runs its handler whatever its status (safe: handlers are idempotent and ordered by time).',
    params: z.strictObject({ id: idSchema.describe('Stripe event id') }),
    errors: ['not_found'],
    response: { description: 'The event after the replay', schema: eventSchema },
    async handler({ params, caller }) {
      const event = await options.inbox.replay(params.id);
      if (!event) throw new TollgateError('not_found', `No webhook event '${params.id}'.`);
      await tollgate.store.appendAudit({
        at: tollgate.clock.now(),
        actor: adminActor(caller),
        action: 'webhook.replayed',
        customerId: null,
        details: { eventId: event.id, status: event.status },
      });
      return eventView(event);
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/invoices',
    access: 'admin',
    tag: 'admin',
    summary: 'All invoices, newest first',
    query: z.strictObject({
      limit: pageLimit,
      starting_after: idSchema.optional().describe('The last invoice id of the previous page'),
      customer_id: idSchema.optional(),
      status: invoiceStatus.optional(),
    }),
    response: {
      description: 'One page of invoices (amounts in minor units)',
      schema: z.object({ data: z.array(invoiceSchema), has_more: z.boolean() }),
    },
    async handler({ query }) {
      const page = await tollgate.store.listInvoices({
        limit: query.limit,
        ...(query.starting_after ? { after: query.starting_after } : {}),
        ...(query.customer_id ? { customerId: query.customer_id } : {}),
        ...(query.status ? { status: query.status } : {}),
      });
      return { data: page.invoices.map(invoiceView), has_more: page.hasMore };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/revenue',
    access: 'admin',
    tag: 'admin',
    summary: 'MRR, ARPU, churn, trial conversion and subscriptions by tier',
    description:
      'Money in minor units; rates in basis points (1/100 %), rounded down; windows of 30 days. Also ' +
      "stores the figures as today's revenue snapshot (the MRR history).",
    response: {
      description: 'Revenue figures, integers only',
      schema: z.object({
        currency: z.string(),
        mrr: z.number().int(),
        arpu: z.number().int(),
        paying_customers: z.number().int(),
        subscriptions_by_tier: z.record(z.string(), z.number().int()),
        churn: z.object({ canceled: z.number().int(), base: z.number().int(), rate_bps: z.number().int() }),
        trial_conversion: z.object({
          converted: z.number().int(),
          ended: z.number().int(),
          rate_bps: z.number().int(),
        }),
        window_days: z.number().int(),
      }),
    },
    async handler() {
      const { report } = await recordRevenueSnapshot(tollgate);
      return {
        currency: report.currency,
        mrr: report.mrr,
        arpu: report.arpu,
        paying_customers: report.payingCustomers,
        subscriptions_by_tier: report.subscriptionsByTier,
        churn: { canceled: report.churn.canceled, base: report.churn.base, rate_bps: report.churn.rateBps },
        trial_conversion: {
          converted: report.trialConversion.converted,
          ended: report.trialConversion.ended,
          rate_bps: report.trialConversion.rateBps,
        },
        window_days: report.windowDays,
      };
    },
  });

  router.route({
    method: 'GET',
    url: '/api/v1/admin/revenue/history',
    access: 'admin',
    tag: 'admin',
    summary: 'MRR per day and money collected per month',
    description:
      'MRR points are the daily revenue snapshots (taken hourly by the server and by the revenue routes, ' +
      "today's first), days without one left out; `collected` sums paid invoices by the UTC month of " +
      'payment, every month of the range present. Integers in minor units.',
    query: z.strictObject({
      days: z.coerce
        .number()
        .int()
        .min(1)
        .max(366)
        .default(90)
        .describe('Days back, today included; default 90'),
    }),
    response: {
      description: 'Revenue over time',
      schema: z.object({
        currency: z.string(),
        mrr: z.array(
          z.object({
            date: z.string().describe('YYYY-MM-DD (UTC)'),
            mrr: z.number().int(),
            paying_customers: z.number().int(),
            subscriptions: z.number().int(),
          }),
        ),
        collected: z.array(
          z.object({ month: z.string().describe('YYYY-MM (UTC)'), amount: z.number().int() }),
        ),
      }),
    },
    async handler({ query }) {
      const { report, snapshot } = await recordRevenueSnapshot(tollgate);
      const history = await revenueHistory(tollgate.store, report.currency, snapshot.updatedAt, query.days);
      return {
        currency: report.currency,
        mrr: history.mrr.map((point) => ({
          date: point.day,
          mrr: point.mrr,
          paying_customers: point.payingCustomers,
          subscriptions: point.subscriptions,
        })),
        collected: history.collected,
      };
    },
  });

  const advanceClock = options.advanceClock;
  if (advanceClock) {
    router.route({
      method: 'POST',
      url: '/api/v1/admin/clock/advance',
      access: 'admin',
      tag: 'admin',
      summary: 'Advance the Stripe test clock (test mode only)',
      description:
        'Moves the clock `seconds` ahead, or with `{"to": "renewal"}` to the next renewal of a subscription on the clock plus the two hours Stripe takes to finalize and charge its invoice (409 when none renews). Returns when the clock is ready and the webhooks it caused have been applied.',
      body: z.union([
        z.strictObject({
          seconds: z
            .number()
            .int()
            .min(1)
            .max(2 * 365 * 86_400)
            .describe('How far to move the clock'),
        }),
        z.strictObject({
          to: z.literal('renewal').describe('Past the next renewal, once its invoice is charged'),
        }),
      ]),
      errors: ['conflict', 'payment_provider_unavailable'],
      response: {
        description: 'The clock after advancing',
        schema: z.object({
          clock_id: z.string(),
          frozen_time: z.string(),
          events: z.number().int(),
          pending: z.array(z.string()).describe('Events not yet processed when the wait ran out'),
        }),
      },
      async handler({ body }) {
        const result = await advanceClock(body);
        return {
          clock_id: result.clockId,
          frozen_time: new Date(result.frozenTime * 1000).toISOString(),
          events: result.events,
          pending: result.pending,
        };
      },
    });
  }
}
