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
