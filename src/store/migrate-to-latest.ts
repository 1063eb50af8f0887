/**
 * Runs the pending migrations with Kysely's Migrator and a static list (no directory scanning, so it
 * works the same from TypeScript sources, a bundle or compiled output). The migrator takes a lock
 * (a PostgreSQL advisory lock; on SQLite our driver opens transactions with BEGIN IMMEDIATE), so
 * several processes may call this at every start: one applies, the others find nothing to do.
 */
import { type Kysely, type Migration, Migrator } from 'kysely';
import { migrations } from './migrations/migrations.js';

export interface MigrateOptions {
  /** Schema holding Kysely's bookkeeping tables (PostgreSQL). Needed when several schemas share a database. */
  migrationTableSchema?: string;
}

export async function migrateToLatest<DB>(db: Kysely<DB>, options: MigrateOptions = {}): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: {
      async getMigrations(): Promise<Record<string, Migration>> {
        return Object.fromEntries(migrations.map((migration) => [migration.name, migration]));
      },
    },
    ...(options.migrationTableSchema === undefined
      ? {}
      : { migrationTableSchema: options.migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '(setup)'} failed: ${String(error)}`, { cause: error });
  }
}
