/**
 * The Store methods of migration 002, written once with Kysely for both databases: the webhook inbox
 * (`recordWebhookEvent` inserts or reports the known row, so a redelivery is recognised by id), the
 * audit log, the invoice mirror and the per-object event versions that keep late events from
 * overwriting newer state. Lists page newest first with an id cursor.
 */
import type { Kysely } from 'kysely';
import type {
  AuditEntry,
  InvoiceRecord,
  InvoiceStatus,
  NewWebhookEvent,
  WebhookDelivery,
  WebhookEventOutcome,
  WebhookEventRecord,
  WebhookEventStatus,
} from '../core/billing/billing-records.js';
import { newId } from '../core/ids.js';
import type { Customer, Store } from '../core/ports.js';
import type { AuditLogTable, InvoicesTable, WebhookEventsTable } from './billing-event-tables.js';
import type { Database } from './database.js';
import { newestFirstAfter, page } from './keyset-paging.js';
import { createKyselyQueries } from './kysely-queries.js';
import { createSubscriptionQueries } from './subscription-queries.js';

export type BillingEventQueries = Pick<
  Store,
  | 'recordWebhookEvent'
  | 'markWebhookEvent'
  | 'applyWebhookDelivery'
  | 'applyWebhookDeliveries'
  | 'getWebhookEvent'
  | 'getWebhookEventStatus'
  | 'listWebhookEvents'
  | 'appendAudit'
  | 'listAudit'
  | 'upsertInvoice'
  | 'getInvoice'
  | 'listInvoices'
  | 'getObjectVersion'
  | 'setObjectVersion'
>;

export const webhookEventFromRow = (row: WebhookEventsTable): WebhookEventRecord => ({
  id: row.id,
  type: row.type,
  created: row.created,
  receivedAt: row.received_at,
  status: row.status as WebhookEventStatus,
  attempts: row.attempts,
  lastError: row.last_error,
  processedAt: row.processed_at,
  payload: row.payload,
});

const auditFromRow = (row: AuditLogTable): AuditEntry => ({
  id: row.id,
  at: row.at,
  actor: row.actor,
  action: row.action,
  customerId: row.customer_id,
  details: JSON.parse(row.details) as Record<string, unknown>,
});

const invoiceFromRow = (row: InvoicesTable): InvoiceRecord => ({
  id: row.id,
  customerId: row.customer_id,
  stripeCustomerId: row.stripe_customer_id,
  subscriptionId: row.subscription_id,
  status: row.status as InvoiceStatus,
  amountDue: row.amount_due,
  amountPaid: row.amount_paid,
  currency: row.currency,
  hostedInvoiceUrl: row.hosted_invoice_url,
  invoicePdf: row.invoice_pdf,
  periodStart: row.period_start,
  periodEnd: row.period_end,
  paidAt: row.paid_at,
  created: row.created,
  stripeUpdatedAt: row.stripe_updated_at,
});

export const invoiceToRow = (invoice: InvoiceRecord): InvoicesTable => ({
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
  period_start: invoice.periodStart,
  period_end: invoice.periodEnd,
  paid_at: invoice.paidAt,
  created: invoice.created,
  stripe_updated_at: invoice.stripeUpdatedAt,
});

/** The row of an event stored with a delivery's outcome (`processed` and `failed` count an attempt). */
function eventRow(event: NewWebhookEvent, outcome: WebhookEventOutcome) {
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    received_at: event.receivedAt,
    status: outcome.status,
    attempts: outcome.status === 'received' ? 0 : 1,
    last_error: outcome.error ?? null,
    processed_at: outcome.status === 'processed' ? outcome.at : null,
    payload: event.payload,
  };
}

function insertEventIfNew(db: Kysely<Database>, event: NewWebhookEvent) {
  return db
    .insertInto('webhook_events')
    .values(eventRow(event, { status: 'received', at: event.receivedAt }))
    .onConflict((conflict) => conflict.column('id').doNothing())
    .executeTakeFirst();
}

/** Sets an event's status (`processed` and `failed` count an attempt); `always` false: unless processed. */
function markEvent(db: Kysely<Database>, id: string, outcome: WebhookEventOutcome, always: boolean) {
  const finished = outcome.status !== 'received';
  let update = db
    .updateTable('webhook_events')
    .set((eb) => ({
      status: outcome.status,
      last_error: outcome.error ?? null,
      attempts: finished ? eb('attempts', '+', 1) : eb.ref('attempts'),
      processed_at: outcome.status === 'processed' ? outcome.at : null,
    }))
    .where('id', '=', id);
  if (!always) update = update.where('status', '<>', 'processed');
  return update.executeTakeFirst();
}

/** Inserts an audit entry as given (its id made by the caller). */
export async function insertAudit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: entry.id,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      customer_id: entry.customerId,
      details: JSON.stringify(entry.details),
    })
    .execute();
}

/**
 * Stores the event with its delivery's outcome in one statement: inserted when new, else its status
 * set unless it is processed (`always` false). The conflict takes the event's row lock: a concurrent
 * delivery of the same event waits here, then finds it processed and writes nothing. In one batch,
 * the second delivery of an event finds the first one's status the same way.
 */
function storeEventOutcome(
  db: Kysely<Database>,
  event: NewWebhookEvent,
  outcome: WebhookEventOutcome,
  always: boolean,
) {
  return db
    .insertInto('webhook_events')
    .values(eventRow(event, outcome))
    .onConflict((conflict) => {
      const update = conflict.column('id').doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        last_error: eb.ref('excluded.last_error'),
        attempts: eb('webhook_events.attempts', '+', eb.ref('excluded.attempts')),
        processed_at: eb.ref('excluded.processed_at'),
      }));
      return always ? update : update.where('webhook_events.status', '<>', 'processed');
    })
    .executeTakeFirst();
}

/** One delivery's statements, inside the caller's transaction `trx`. */
async function deliver(
  trx: Kysely<Database>,
  { event, writes, outcome, reapply }: WebhookDelivery,
): Promise<{ duplicate: boolean; customers: Customer[] }> {
  const stored = await storeEventOutcome(trx, event, outcome, reapply === true);
  if ((stored.numInsertedOrUpdatedRows ?? 0n) === 0n) return { duplicate: true, customers: [] };
  const customers: Customer[] = [];
  const billing = createBillingEventQueries(trx);
  for (const write of writes) {
    switch (write.kind) {
      case 'customer': {
        const updated = await createKyselyQueries(trx).updateCustomer(write.id, write.patch);
        if (updated) customers.push(updated);
        break;
      }
      case 'subscription':
        await createSubscriptionQueries(trx).upsertSubscription(write.subscription);
        break;
      case 'invoice':
        await billing.upsertInvoice(write.invoice);
        break;
      case 'version':
        await billing.setObjectVersion(write.objectId, write.appliedAt);
        break;
      case 'audit':
        await insertAudit(trx, write.entry);
        break;
    }
  }
  return { duplicate: false, customers };
}

export function createBillingEventQueries(db: Kysely<Database>): BillingEventQueries {
  return {
    async recordWebhookEvent(event) {
      const result = await insertEventIfNew(db, event);
      const isNew = (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
      const row = await db
        .selectFrom('webhook_events')
        .selectAll()
        .where('id', '=', event.id)
        .executeTakeFirstOrThrow();
      return { isNew, event: webhookEventFromRow(row) };
    },

    async markWebhookEvent(id, outcome) {
      const result = await markEvent(db, id, outcome, true);
      return result.numUpdatedRows > 0n;
    },

    async applyWebhookDelivery(delivery) {
      return db.transaction().execute((trx) => deliver(trx, delivery));
    },

    async applyWebhookDeliveries(deliveries) {
      return db.transaction().execute(async (trx) => {
        const results: Array<{ duplicate: boolean; customers: Customer[] }> = [];
        for (const delivery of deliveries) results.push(await deliver(trx, delivery));
        return results;
      });
    },

    async getWebhookEvent(id) {
      const row = await db.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst();
      return row && webhookEventFromRow(row);
    },

    async getWebhookEventStatus(id) {
      const row = await db
        .selectFrom('webhook_events')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.status as WebhookEventStatus | undefined;
    },

    async listWebhookEvents(filter) {
      let query = db.selectFrom('webhook_events').selectAll();
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.type !== undefined) query = query.where('type', '=', filter.type);
      const rows = await newestFirstAfter(query, 'webhook_events', 'created', filter.after)
        .limit(filter.limit + 1)
        .execute();
      const { items, hasMore } = page(rows, filter.limit);
      return { events: items.map(webhookEventFromRow), hasMore };
    },

    async appendAudit(entry) {
      const stored: AuditEntry = { id: newId('aud', entry.at), ...entry };
      await insertAudit(db, stored);
      return stored;
    },

    async listAudit(filter) {
      let query = db.selectFrom('audit_log').selectAll();
      if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
      if (filter.action !== undefined) query = query.where('action', '=', filter.action);
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('at', '<', filter.until);
      const rows = await newestFirstAfter(query, 'audit_log', 'at', filter.after)
        .limit(filter.limit + 1)
        .execute();
      const { items, hasMore } = page(rows, filter.limit);
      return { entries: items.map(auditFromRow), hasMore };
    },

    async upsertInvoice(invoice) {
      const row = invoiceToRow(invoice);
      const { id: _id, ...changes } = row;
      await db
        .insertInto('invoices')
        .values(row)
        .onConflict((conflict) =>
          conflict
            .column('id')
            .doUpdateSet(changes)
            // A late write (an older event) leaves a newer mirror as it is.
            .where('invoices.stripe_updated_at', '<=', invoice.stripeUpdatedAt),
        )
        .execute();
    },

    async getInvoice(id) {
      const row = await db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirst();
      return row && invoiceFromRow(row);
    },

    async listInvoices(filter) {
      let query = db.selectFrom('invoices').selectAll();
      if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      const rows = await newestFirstAfter(query, 'invoices', 'created', filter.after)
        .limit(filter.limit + 1)
        .execute();
      const { items, hasMore } = page(rows, filter.limit);
      return { invoices: items.map(invoiceFromRow), hasMore };
    },

    async getObjectVersion(objectId) {
      const row = await db
        .selectFrom('stripe_object_versions')
        .select('applied_at')
        .where('object_id', '=', objectId)
        .executeTakeFirst();
      return row?.applied_at;
    },

    async setObjectVersion(objectId, appliedAt) {
      await db
        .insertInto('stripe_object_versions')
        .values({ object_id: objectId, applied_at: appliedAt })
        .onConflict((conflict) =>
          conflict
            .column('object_id')
            .doUpdateSet({ applied_at: appliedAt })
            .where('stripe_object_versions.applied_at', '<', appliedAt),
        )
        .execute();
    },
  };
}
