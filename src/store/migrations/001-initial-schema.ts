/**
 * The first schema: customers, API keys, the usage log and the per-period usage counters that
 * admission reads instead of summing the log.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres, type NamedMigration } from './migration.js';

export const initialSchema: NamedMigration = {
  name: '001-initial-schema',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('customers')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('external_id', 'text')
      .addColumn('email', 'text')
      .addColumn('name', 'text')
      .addColumn('plan', 'text', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('billing_interval', 'text')
      .addColumn('stripe_customer_id', 'text')
      .addColumn('stripe_subscription_id', 'text')
      .addColumn('period_start', 'bigint')
      .addColumn('period_end', 'bigint')
      .addColumn('trial_end', 'bigint')
      .addColumn('payment_failed_at', 'bigint')
      .addColumn('cancel_at_period_end', 'integer', (column) => column.notNull().defaultTo(0))
      .addColumn('storage_bytes', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('storage_items', 'bigint', (column) => column.notNull().defaultTo(0))
      .addColumn('metadata', 'text', (column) => column.notNull().defaultTo('{}'))
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('customers_external_id_unique')
      .on('customers')
      .column('external_id')
      .unique()
      .where('external_id', 'is not', null)
      .execute();
    await db.schema
      .createIndex('customers_stripe_customer_id_unique')
      .on('customers')
      .column('stripe_customer_id')
      .unique()
      .where('stripe_customer_id', 'is not', null)
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('customer_id', 'text', (column) => column.references('customers.id'))
      .addColumn('hash', 'text', (column) => column.notNull().unique())
      .addColumn('prefix', 'text', (column) => column.notNull())
      .addColumn('name', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_keys_customer_id').on('api_keys').column('customer_id').execute();

    await db.schema
      .createTable('usage_events')
      .addColumn('id', 'text', (column) => column.primaryKey())
      // No foreign key here: PostgreSQL checks one per inserted row (half the cost of a 1,000-event
      // batch). Every event's (customer, period) counter row is written in the same transaction, and
      // that table's foreign key rejects an unknown customer once per batch instead.
      .addColumn('customer_id', 'text', (column) => column.notNull())
      .addColumn('period_start', 'bigint', (column) => column.notNull())
      .addColumn('operation', 'text', (column) => column.notNull())
      .addColumn('quantity', 'bigint', (column) => column.notNull())
      .addColumn('cost', 'bigint', (column) => column.notNull())
      .addColumn('overage', 'bigint', (column) => column.notNull())
      .addColumn('used_after', 'bigint', (column) => column.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('request_hash', 'text')
      .addColumn('occurred_at', 'bigint', (column) => column.notNull())
      .addColumn('recorded_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('usage_events_idempotency_key_unique')
      .on('usage_events')
      .columns(['customer_id', 'idempotency_key'])
      .unique()
      .where('idempotency_key', 'is not', null)
      .execute();
    await db.schema
      .createIndex('usage_events_customer_id_recorded_at')
      .on('usage_events')
      .columns(['customer_id', 'recorded_at'])
      .execute();

    await db.schema
      .createTable('usage_counters')
      .addColumn('customer_id', 'text', (column) => column.notNull().references('customers.id'))
      .addColumn('period_start', 'bigint', (column) => column.notNull())
      .addColumn('used', 'bigint', (column) => column.notNull())
      .addColumn('overage', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('usage_counters_pkey', ['customer_id', 'period_start'])
      // Every batch rewrites its counter rows: free space on the page lets PostgreSQL update them in
      // place (HOT) instead of growing the table and its index.
      .$call((builder) => (isPostgres(db) ? builder.modifyEnd(sql`with (fillfactor = 50)`) : builder))
      .execute();
  },
};
