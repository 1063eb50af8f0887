/**
 * Errors the stores throw for faults a caller can act on. A duplicate unique value is the common one
 * (an external id or Stripe customer id already taken), so it gets a class with the offending field
 * instead of a driver-specific error that differs between SQLite and PostgreSQL.
 */
import { TollgateError } from '../core/errors.js';

/**
 * A unique value is already taken. `field` names the domain field (`externalId`, `hash`, `id`, ...).
 * It is the registry's `conflict` error (HTTP 409), so the server answers it without translating.
 */
export class ConflictError extends TollgateError {
  override readonly name = 'ConflictError';

  constructor(
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super('conflict', `${field} is already taken`, { field });
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

/**
 * Translates a unique violation from better-sqlite3 or pg into a ConflictError; anything else is
 * returned unchanged. Both drivers name the columns (SQLite in the message, PostgreSQL in `detail`),
 * so one mapping from column to field serves both.
 */
export function translateUniqueViolation(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { code, message, detail } = error as DriverError;
  let column: string | undefined;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: customers.external_id"
    column = /constraint failed: \w+\.(\w+)/.exec(String(message))?.[1];
  } else if (code === '23505') {
    // "Key (external_id)=(x) already exists."
    column = /Key \((\w+)/.exec(String(detail))?.[1];
  } else {
    return error;
  }
  return new ConflictError(column === undefined ? 'unknown' : camelCase(column), { cause: error });
}

function camelCase(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** PostgreSQL SQLSTATEs that mean "the database cannot serve now", not "this query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the backend was terminated (pg_terminate_backend, a restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '40001', // serialization_failure that outlived the retries
  '40P01', // deadlock_detected
]);
const UNAVAILABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/**
 * Whether a store error means the database is out of reach or refused to serve (a terminated
 * backend, a lost connection, a database restarting, SQLite locked past its busy timeout) rather than
 * a bug: the server answers these 503 `store_unavailable`, which clients retry. Nothing was
 * acknowledged for such a request, and a retry with the same idempotency key is never counted twice.
 */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as DriverError;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
    if (UNAVAILABLE_NETWORK_CODES.has(code) || code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
      return true;
  }
  const text = typeof message === 'string' ? message : '';
  if (UNAVAILABLE_MESSAGES.some((known) => text.includes(known))) return true;
  // AggregateError (a connect attempt to several addresses) and wrapped causes.
  const inner = (error as { errors?: unknown[]; cause?: unknown }).errors ?? [];
  if (inner.some(isStoreUnavailable)) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isStoreUnavailable(cause);
}
