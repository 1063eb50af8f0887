/**
 * One-time dashboard links, billing sessions and daily revenue snapshots.
 *
 * `dashboard_tokens` holds both kinds of browser credential by the SHA-256 of the token (the token
 * itself is never stored): a `link` is exchanged once (`used_at` set by one conditional UPDATE, so two
 * browsers racing for it cannot both win), a `session` lets the billing page call the customer's
 * billing routes for an hour. `api_key_id` is the key that asked for the link: revoking it ends the
 * sessions it opened. `display` is the page's look (embed, theme colours) as JSON text.
 *
 * `revenue_snapshots` keeps one row per UTC day of the revenue report's figures, so the admin console
 * can draw MRR over time; the report itself only knows "now". Money is integer minor units.
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migration.js';

export const dashboardSessions: NamedMigration = {
  name: '004-dashboard-sessions',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('dashboard_tokens')
      .addColumn('token_hash', 'text', (column) => column.primaryKey())
      // A customer's tokens go with it; a session of a customer that is gone must not work.
      .addColumn('customer_id', 'text', (column) =>
        column.notNull().references('customers.id').onDelete('cascade'),
      )
      // link | session
      .addColumn('kind', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('return_url', 'text')
      .addColumn('display', 'text', (column) => column.notNull().defaultTo('{}'))
      .addColumn('api_key_id', 'text')
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('dashboard_tokens_customer_id')
      .on('dashboard_tokens')
      .columns(['customer_id', 'kind'])
      .execute();

    await db.schema
      .createTable('revenue_snapshots')
      // YYYY-MM-DD (UTC, billing time): sorts as text.
      .addColumn('day', 'text', (column) => column.primaryKey())
      .addColumn('mrr', 'bigint', (column) => column.notNull())
      .addColumn('paying_customers', 'integer', (column) => column.notNull())
      .addColumn('subscriptions', 'integer', (column) => column.notNull())
      // JSON object: plan id -> live subscriptions.
      .addColumn('by_tier', 'text', (column) => column.notNull().defaultTo('{}'))
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .execute();

    // Paid invoices summed by month for the revenue history.
    await db.schema.createIndex('invoices_paid_at').on('invoices').columns(['paid_at']).execute();
  },
};
