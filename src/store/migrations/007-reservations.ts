/**
 * Reservations: credits and operation units held for work whose size is known only afterwards.
 * `reservations` keeps each one (what it holds and the debit its settle records); `reservation_holds`
 * has one row per counter a reservation holds on (the credit counter: operation '' and window
 * 'credits'), with the reservation's expiry, and the counters' `held` column is the sum of their
 * holds. `commitUsage` counts `held` with `used` under the same locks, and before deciding it drops
 * the expired holds of every counter it locked, so an expired hold never counts (no sweeper needed).
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migration.js';

export const reservations: NamedMigration = {
  name: '007-reservations',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('reservations')
      .addColumn('id', 'text', (column) => column.primaryKey())
      .addColumn('customer_id', 'text', (column) => column.notNull())
      .addColumn('operation', 'text', (column) => column.notNull())
      .addColumn('quantity', 'bigint', (column) => column.notNull())
      .addColumn('cost', 'bigint', (column) => column.notNull())
      .addColumn('period_start', 'bigint', (column) => column.notNull())
      .addColumn('credit_limit', 'bigint')
      .addColumn('included', 'bigint')
      // JSON array of the WindowDebit the reservation holds on (and its settle counts in).
      .addColumn('windows', 'text', (column) => column.notNull())
      .addColumn('status', 'text', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .addColumn('created_at', 'bigint', (column) => column.notNull())
      .addColumn('settled_quantity', 'bigint')
      .addColumn('event_id', 'text')
      .addColumn('closed_at', 'bigint')
      .execute();
    await db.schema
      .createTable('reservation_holds')
      .addColumn('reservation_id', 'text', (column) => column.notNull())
      .addColumn('customer_id', 'text', (column) => column.notNull())
      .addColumn('operation', 'text', (column) => column.notNull())
      .addColumn('window_name', 'text', (column) => column.notNull())
      .addColumn('window_start', 'bigint', (column) => column.notNull())
      .addColumn('amount', 'bigint', (column) => column.notNull())
      .addColumn('expires_at', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('reservation_holds_pkey', [
        'reservation_id',
        'operation',
        'window_name',
        'window_start',
      ])
      .execute();
    await db.schema
      .createIndex('reservation_holds_by_counter')
      .on('reservation_holds')
      .columns(['customer_id', 'operation', 'window_name', 'window_start', 'expires_at'])
      .execute();
    for (const table of ['usage_counters', 'operation_counters']) {
      await db.schema
        .alterTable(table)
        .addColumn('held', 'bigint', (column) => column.notNull().defaultTo(0))
        .execute();
    }
  },
};
