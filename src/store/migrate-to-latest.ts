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
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's introspection reads the tables of every schema in the database; a schema another
  // session drops meanwhile (another app, a test run cleaning up) fails that read. Nothing was
  // applied then (PostgreSQL migrations run in a transaction), so it is read again.
  for (let attempt = 1; attempt < 10 && droppedMeanwhile(error, options.migrationTableSchema); attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '(setup)'} failed: ${String(error)}`, { cause: error });
  }
}

/** The error is about another schema that no longer exists (dropped while we read the catalog). */
function droppedMeanwhile(error: unknown, ours: string | undefined): boolean {
  const named = /schema "([^"]+)" does not exist/.exec(String((error as Error | undefined)?.message ?? ''));
  return named !== null && named[1] !== ours;
}
