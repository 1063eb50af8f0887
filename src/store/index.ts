/**
 * Store implementations of the core's `Store` port: SQLite (embedded default) and PostgreSQL.
 */
export { createStore, parseDatabaseUrl, type StoreLocation, type StoreOptions } from './create-store.js';
export { ConflictError } from './errors.js';
export { migrations } from './migrations/migrations.js';
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
