/**
 * The subscription mirror: every Stripe subscription of a linked customer, in any status, with the
 * Stripe time its state was read at (`stripe_updated_at`). A customer's plan is derived from all of
 * its Stripe customer's subscriptions (docs/decisions/008), so this holds them all, ended ones too.
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migration.js';

export const subscriptions: NamedMigration = {
  name: '005-subscriptions',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('subscriptions')
      .addColumn('id', 'text', (column) => column.primaryKey())
      // No foreign key: Stripe's events can name a Stripe customer before it is linked to ours.
      .addColumn('stripe_customer_id', 'text', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('price_id', 'text')
      .addColumn('current_period_start', 'bigint')
      .addColumn('current_period_end', 'bigint')
      .addColumn('trial_end', 'bigint')
      .addColumn('cancel_at_period_end', 'integer', (column) => column.notNull().defaultTo(0))
      // Stripe's `created` of the subscription, ms: the newest live one speaks for its customer.
      .addColumn('created', 'bigint', (column) => column.notNull())
      .addColumn('stripe_updated_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('subscriptions_stripe_customer_id')
      .on('subscriptions')
      .columns(['stripe_customer_id'])
      .execute();
  },
};
