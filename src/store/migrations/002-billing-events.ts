/**
 * What Tollgate mirrors from Stripe besides the customer row: the webhook inbox (one row per Stripe
 * event id, so a redelivery is recognised), the audit log, the invoice mirror that admin invoices and
 * revenue read, and the time of the newest event applied per Stripe object, so an event that arrives
 * late never overwrites newer state.
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migration.js';

export const billingEvents: NamedMigration = {
  name: '002-billing-events',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('webhook_events')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('type', 'text', (column) => column.notNull())
      // Stripe's `created` in epoch ms (test clock time for objects on a test clock).
      .addColumn('created', 'bigint', (column) => column.notNull())
      .addColumn('received_at', 'bigint', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('processed_at', 'bigint')
      .addColumn('payload', 'text', (column) => column.notNull())
      .execute();
    // The admin log pages newest first and filters by status or type.
    await db.schema
      .createIndex('webhook_events_created')
      .on('webhook_events')
      .columns(['created', 'id'])
      .execute();
    await db.schema
      .createIndex('webhook_events_status')
      .on('webhook_events')
      .columns(['status', 'created'])
      .execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('at', 'bigint', (column) => column.notNull())
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('action', 'text', (column) => column.notNull())
      .addColumn('customer_id', 'text')
      .addColumn('details', 'text', (column) => column.notNull().defaultTo('{}'))
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();
    await db.schema
      .createIndex('audit_log_customer_id')
      .on('audit_log')
      .columns(['customer_id', 'at'])
      .execute();
    await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'at']).execute();

    await db.schema
      .createTable('invoices')
      .addColumn('id', 'text', (column) => column.primaryKey())
      // No foreign key: an invoice can arrive (webhook order) before its customer is linked.
      .addColumn('customer_id', 'text')
      .addColumn('stripe_customer_id', 'text', (column) => column.notNull())
      .addColumn('subscription_id', 'text')
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('amount_due', 'bigint', (column) => column.notNull())
      .addColumn('amount_paid', 'bigint', (column) => column.notNull())
      .addColumn('currency', 'text', (column) => column.notNull())
      .addColumn('hosted_invoice_url', 'text')
      .addColumn('invoice_pdf', 'text')
      .addColumn('period_start', 'bigint')
      .addColumn('period_end', 'bigint')
      .addColumn('paid_at', 'bigint')
      .addColumn('created', 'bigint', (column) => column.notNull())
      .addColumn('stripe_updated_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('invoices_customer_id_created')
      .on('invoices')
      .columns(['customer_id', 'created'])
      .execute();
    await db.schema.createIndex('invoices_created').on('invoices').columns(['created', 'id']).execute();

    await db.schema
      .createTable('stripe_object_versions')
      .addColumn('object_id', 'text', (column) => column.primaryKey())
      .addColumn('applied_at', 'bigint', (column) => column.notNull())
      .execute();
  },
};
