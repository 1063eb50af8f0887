/**
 * Counters of operation limits: units of one operation counted in one window (`minute`, `hour`,
 * `day` of billing time, or `month` = the credit period, keyed by its start), with the part of them
 * past the included limit when the operation bills overage. `commitUsage` reads and writes them in
 * the same transaction as `usage_counters`, under the same locks, so they are exact like credits.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres, type NamedMigration } from './migration.js';

export const operationCounters: NamedMigration = {
  name: '006-operation-counters',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('operation_counters')
      // No foreign key: the batch's usage_counters row, written in the same transaction, already
      // rejects an unknown customer once per batch (see usage_events in migration 001).
      .addColumn('customer_id', 'text', (column) => column.notNull())
      .addColumn('operation', 'text', (column) => column.notNull())
      .addColumn('window_name', 'text', (column) => column.notNull())
      .addColumn('window_start', 'bigint', (column) => column.notNull())
      .addColumn('used', 'bigint', (column) => column.notNull())
      .addColumn('overage', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('operation_counters_pkey', [
        'customer_id',
        'operation',
        'window_name',
        'window_start',
      ])
      // Rewritten by every batch that counts in them: room on the page for in-place (HOT) updates.
      .$call((builder) => (isPostgres(db) ? builder.modifyEnd(sql`with (fillfactor = 50)`) : builder))
      .execute();
  },
};
