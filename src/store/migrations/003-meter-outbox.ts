/**
 * The meter outbox and the Stripe catalog ids.
 *
 * `meter_outbox` holds overage still to report to Stripe Billing Meters, one row per (customer, meter,
 * window). `commitUsage` adds to it in the same transaction as the usage it bills, so usage and its
 * billing never diverge; the meter sender reports each closed window once. Values are milli-credits
 * (integers, what Stripe meter values must be). `sent_value` is the part Stripe has accepted and
 * `sending_value` the snapshot a send in flight reports, so a retry always repeats the same amount under
 * the same identifier, and usage committed after a send (late) goes out as a second, smaller event.
 *
 * `stripe_catalog` holds what `tollgate plans push` created: per plan, the product, the monthly and
 * yearly prices, the overage price and the meter.
 */
import { type Kysely, sql } from 'kysely';
import type { NamedMigration } from './migration.js';

export const meterOutbox: NamedMigration = {
  name: '003-meter-outbox',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('meter_outbox')
      // No foreign key: the row is written on the hot path, and its customer's counter row (written
      // in the same transaction) already rejects an unknown customer.
      .addColumn('customer_id', 'text', (column) => column.notNull())
      .addColumn('meter', 'text', (column) => column.notNull())
      .addColumn('window_start', 'bigint', (column) => column.notNull())
      .addColumn('window_end', 'bigint', (column) => column.notNull())
      .addColumn('value', 'bigint', (column) => column.notNull())
      .addColumn('sent_value', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('sending_value', 'bigint')
      .addColumn('status', 'text', (column) => column.notNull().defaultTo('pending'))
      .addColumn('attempts', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('claimed_until', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('sent_at', 'bigint')
      .addPrimaryKeyConstraint('meter_outbox_pkey', ['customer_id', 'meter', 'window_start'])
      .execute();
    // The sender's scan: pending rows whose window has closed, oldest first. Sent rows stay out of it.
    await db.schema
      .createIndex('meter_outbox_pending')
      .on('meter_outbox')
      .columns(['window_end', 'customer_id'])
      .where(sql<boolean>`status = 'pending'`)
      .execute();

    await db.schema
      .createTable('stripe_catalog')
      .addColumn('plan_id', 'text', (column) => column.notNull())
      // product | month | year | overage | meter
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('stripe_id', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('stripe_catalog_pkey', ['plan_id', 'kind'])
      .execute();
  },
};
