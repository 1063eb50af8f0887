/**
 * Metadata of usage events: a small map of strings (at most 16 keys, values up to 200 characters,
 * checked by the engine) stored as JSON text with its keys sorted. Nullable, so adding it rewrites no
 * row on either database, and events recorded before it read as having none.
 */
import type { Kysely } from 'kysely';
import type { NamedMigration } from './migration.js';

export const usageEventMetadata: NamedMigration = {
  name: '008-usage-event-metadata',
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('usage_events').addColumn('metadata', 'text').execute();
  },
};
