/**
 * One-off grants (docs/decisions/014-grants.md): credits or units of one operation given to a customer,
 * with the counter's value when each was made (`baseline`, read under the counter's lock in the same
 * transaction as the insert). A revoke keeps the row and records the unspent part it took back, so the
 * standing of a grant stays computable from its row and the period counters. An idempotency key is
 * unique per customer: a retry finds the first grant.
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migration.js';

export const grants: NamedMigration = {
  name: '011-grants',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('grants')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('customer_id', 'text', (column) => column.notNull().references('customers.id'))
      // NULL: credits (milli-credits); else units of this operation's month window.
      .addColumn('operation', 'text')
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('expires', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('period_start', 'bigint', (column) => column.notNull())
      .addColumn('baseline', 'bigint', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('created_by', 'text')
      .addColumn('reason', 'text')
      .addColumn('idempotency_key', 'text', (column) => column.notNull())
      .addColumn('request_hash', 'text', (column) => column.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_by', 'text')
      .addColumn('revoked_amount', 'bigint', (column) => column.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('grants_customer_idempotency_key')
      .on('grants')
      .columns(['customer_id', 'idempotency_key'])
      .unique()
      .execute();
  },
};
