/**
 * A customer's overrides of its plan: one row per (customer, key), where the key names a limit
 * (`credits`, `operations.tokens.month`, ...) or a feature (`features.federation`). `value` is JSON in
 * the engine's units (`null` = no limit). `expires_at` is billing time; an expired row stays until
 * removed (the engine ignores it), so the audit trail and the console can still show what was agreed.
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migration.js';

export const customerOverrides: NamedMigration = {
  name: '009-customer-overrides',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('customer_overrides')
      .addColumn('customer_id', 'text', (column) =>
        column.notNull().references('customers.id').onDelete('cascade'),
      )
      .addColumn('key', 'text', (column) => column.notNull())
      .addColumn('value', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('reason', 'text')
      .addColumn('created_by', 'text', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('updated_by', 'text', (column) => column.notNull())
      .addColumn('updated_at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('customer_overrides_pkey', ['customer_id', 'key'])
      .execute();
  },
};
