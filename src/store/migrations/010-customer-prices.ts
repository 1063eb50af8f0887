/**
 * Negotiated prices (docs/decisions/013-custom-prices.md): per customer, plan and interval, the amount
 * in minor units, the catalog's currency, the Stripe price created for it, who set it and why. A new
 * price for the same plan and interval retires the old row (`removed_at`) instead of replacing it, so
 * the history stays and a subscription still on the old Stripe price is still recognised; the partial
 * unique index keeps one active row per (customer, plan, interval).
 *
 * The subscription mirror also keeps what its plan item bills (`price_amount` per `price_interval`),
 * so revenue counts any subscription at its real price, negotiated or not. Both columns are nullable:
 * rows mirrored before read as unknown and fall back to the catalog's amount.
 */
import { type Kysely, sql } from 'kysely';
import type { NamedMigration } from './migration.js';

export const customerPrices: NamedMigration = {
  name: '010-customer-prices',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('customer_prices')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('customer_id', 'text', (column) => column.notNull().references('customers.id'))
      .addColumn('plan_id', 'text', (column) => column.notNull())
      .addColumn('interval', 'text', (column) => column.notNull())
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('currency', 'text', (column) => column.notNull())
      .addColumn('stripe_price_id', 'text', (column) => column.notNull())
      .addColumn('reason', 'text')
      .addColumn('created_by', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('removed_by', 'text')
      .addColumn('removed_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('customer_prices_active')
      .on('customer_prices')
      .columns(['customer_id', 'plan_id', 'interval'])
      .unique()
      .where(sql.ref('removed_at'), 'is', null)
      .execute();
    await db.schema
      .createIndex('customer_prices_stripe_price_id')
      .on('customer_prices')
      .column('stripe_price_id')
      .execute();
    await db.schema.alterTable('subscriptions').addColumn('price_amount', 'bigint').execute();
    await db.schema.alterTable('subscriptions').addColumn('price_interval', 'text').execute();
  },
};
