/**
 * What a migration is, and how one tells the dialect it runs on. Migrations use Kysely's schema
 * builder so one file serves SQLite and PostgreSQL; `isPostgres` is for the few `sql` fragments where
 * the two differ.
 */
import { type Kysely, type Migration, PostgresAdapter } from 'kysely';

export interface NamedMigration extends Migration {
  /** Sorts in run order (`NNN-what-it-does`); never renamed once released. */
  name: string;
  up(db: Kysely<unknown>): Promise<void>;
}

export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
