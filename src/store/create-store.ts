/**
 * Picks a store from a database URL, as the CLI and `DATABASE_URL` give it:
 * `postgres://` or `postgresql://` opens PostgreSQL; `sqlite:<path>`, `sqlite://<path>`,
 * `sqlite::memory:`, `:memory:` or a plain file path opens SQLite.
 */
import type { Store } from '../core/ports.js';
import { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
import { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';

export type StoreOptions = Omit<PostgresStoreOptions, 'connectionString'> &
  Omit<SqliteStoreOptions, 'filename'>;

export type StoreLocation =
  | { kind: 'postgres'; connectionString: string }
  | { kind: 'sqlite'; filename: string };

/** Where a database URL points, without opening anything. */
export function parseDatabaseUrl(databaseUrl: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return { kind: 'postgres', connectionString: databaseUrl };
  if (/^sqlite:/i.test(databaseUrl)) {
    const path = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '')
      throw new Error('sqlite: URL names no file (use sqlite::memory: for an in-memory database)');
    return { kind: 'sqlite', filename: path };
  }
  // Any other scheme is a mistake, not a file name (but a Windows drive letter `C:\` is a path).
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(databaseUrl)) {
    throw new Error(`unsupported database URL scheme: ${databaseUrl.slice(0, databaseUrl.indexOf(':'))}`);
  }
  if (databaseUrl === '') throw new Error('database URL is empty');
  return { kind: 'sqlite', filename: databaseUrl };
}

/**
 * @example
 * const store = createStore(process.env.DATABASE_URL ?? '.tollgate/tollgate.db');
 * await store.migrate();
 */
export function createStore(databaseUrl: string, options: StoreOptions = {}): Store {
  const location = parseDatabaseUrl(databaseUrl);
  if (location.kind === 'postgres') {
    const { schema, poolSize, meterWindowMs, leaseTtlMs, leaseIdleMs } = options;
    return createPostgresStore({
      connectionString: location.connectionString,
      schema,
      poolSize,
      meterWindowMs,
      leaseTtlMs,
      leaseIdleMs,
    });
  }
  const { synchronous, busyTimeoutMs, meterWindowMs } = options;
  return createSqliteStore({ filename: location.filename, synchronous, busyTimeoutMs, meterWindowMs });
}
