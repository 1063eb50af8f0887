/**
 * Team keys (docs/decisions/015): a key's owner and its own limits inside its customer's, the key
 * each usage event came through, and a credit counter per limited key and period. Every new column is
 * nullable, so adding them rewrites no row on either database; old events read as recorded without a
 * key, and a key without limits never gets a counter row.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres, type NamedMigration } from './migration.js';

export const teamKeys: NamedMigration = {
  name: '012-team-keys',
  async up(db: Kysely<unknown>): Promise<void> {
    for (const [column, type] of [
      ['owner', 'text'],
      // Milli-credits per credit period.
      ['credit_limit', 'bigint'],
      ['requests_per_minute', 'bigint'],
      ['requests_per_day', 'bigint'],
    ] as const) {
      await db.schema.alterTable('api_keys').addColumn(column, type).execute();
    }
    await db.schema.alterTable('usage_events').addColumn('key_id', 'text').execute();
    await db.schema
      .createTable('key_counters')
      // No foreign keys: written with the batch's usage_counters row, which already rejects an unknown
      // customer, and a key is never deleted (only revoked).
      .addColumn('key_id', 'text', (column) => column.notNull())
      .addColumn('period_start', 'bigint', (column) => column.notNull())
      .addColumn('customer_id', 'text', (column) => column.notNull())
      .addColumn('used', 'bigint', (column) => column.notNull())
      .addPrimaryKeyConstraint('key_counters_pkey', ['key_id', 'period_start'])
      .$call((builder) => (isPostgres(db) ? builder.modifyEnd(sql`with (fillfactor = 50)`) : builder))
      .execute();
  },
};
