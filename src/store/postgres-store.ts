/**
 * The PostgreSQL store: Kysely over a pg pool for ordinary queries, the same pool used directly for
 * the `commitUsage` hot path (postgres-commit-usage.ts). Several processes may share one database:
 * each decides most debits against its own quota leases (slices of the included quota held in the
 * counter row, docs/decisions/017) and the rest under the counter rows' locks, so usage stays exact
 * across instances.
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { requirePeer } from '../config/optional-peer.js';
import type { Store } from '../core/ports.js';
import { createBillingEventQueries } from './billing-event-queries.js';
import { createCustomerPriceQueries } from './customer-price-queries.js';
import { createDashboardTokenQueries } from './dashboard-token-queries.js';
import type { Database } from './database.js';
import { createPostgresGrantQueries } from './grant-queries.js';
import { createHistoryQueries } from './history-queries.js';
import { createKyselyQueries } from './kysely-queries.js';
import { createMeterOutboxQueries } from './meter-outbox-queries.js';
import { checkMeterWindowMs, DEFAULT_METER_WINDOW_MS } from './meter-windows.js';
import { migrateToLatest } from './migrate-to-latest.js';
import { createOverrideQueries } from './override-queries.js';
import { commitUsageOnPostgres } from './postgres-commit-usage.js';
import { createPostgresCustomerChanges } from './postgres-customer-changes.js';
import { QuotaLeases } from './postgres-quota-leases.js';
import { createStripeCatalogQueries } from './stripe-catalog-queries.js';
import { createSubscriptionCountQueries } from './subscription-count-queries.js';
import { createSubscriptionQueries } from './subscription-queries.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /**
   * Schema for Tollgate's tables, created by `migrate()` when missing and put first on every pooled
   * connection's search_path. Lower-case letters, digits and underscores.
   */
  schema?: string;
  /** Most connections the store opens (default 10). */
  poolSize?: number;
  /** Length of the meter-outbox windows overage is reported in, ms (default one hour). */
  meterWindowMs?: number;
  /**
   * How long a quota lease lives without a commit spending from it, ms of the usage clock (default
   * 10 s): what an instance that dies holding one keeps unavailable, at most, before another instance
   * reclaims it. 0 turns leases off (every debit is decided under the counter row's lock).
   */
  leaseTtlMs?: number;
  /** Wall time after which an unused quota lease is given back, ms (default 2 s). */
  leaseIdleMs?: number;
}

const DEFAULT_LEASE_TTL_MS = 10_000;
const DEFAULT_LEASE_IDLE_MS = 2_000;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * BIGINT (times, credits, counts) and NUMERIC (what SUM(bigint) returns) as JS numbers: every value
 * we store fits in 2^53. Passed to this pool only; pg's global parsers stay untouched for other code.
 */
function numericTypes(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
      return driver.types.getTypeParser(oid, format);
    },
  } as pg.CustomTypesConfig;
}

/**
 * Connects lazily (the first query opens the pool). Call `migrate()` before using it.
 * @example
 * const store = createPostgresStore({ connectionString: 'postgres://localhost/app', schema: 'tollgate' });
 * await store.migrate();
 */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const { schema } = options;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new Error(`schema must be lower-case letters, digits and underscores: ${JSON.stringify(schema)}`);
  }
  const driver = requirePeer<typeof pg>('pg', 'A PostgreSQL store');
  const pool = new driver.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    types: numericTypes(driver),
    // A startup parameter rather than a SET after connecting: every connection, including those the
    // hot path takes from the pool directly, has the schema before its first query.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle connection that the server closes emits 'error' on the pool; without a listener that
  // would crash the process. The pool drops the connection, and the next query opens a new one.
  pool.on('error', () => {});
  // A connection checked out of the pool (a transaction between two statements, a query about to be
  // sent) has no pool listener: a backend terminated then (pg_terminate_backend, a restart) emitted
  // 'error' on the client with no listener and crashed the process. The query that uses the client
  // fails instead, the request answers 503 store_unavailable, and the pool drops the dead client
  // when it is released.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const meterWindowMs = checkMeterWindowMs(options.meterWindowMs ?? DEFAULT_METER_WINDOW_MS);
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!Number.isInteger(leaseTtlMs) || leaseTtlMs < 0) {
    throw new Error(`leaseTtlMs must be a whole number of ms >= 0: ${leaseTtlMs}`);
  }
  const leases =
    leaseTtlMs === 0
      ? undefined
      : new QuotaLeases(pool, { ttlMs: leaseTtlMs, idleMs: options.leaseIdleMs ?? DEFAULT_LEASE_IDLE_MS });
  const customerChanges = createPostgresCustomerChanges(driver, pool, {
    connectionString: options.connectionString,
    ...(schema === undefined ? {} : { schema }),
  });

  return {
    ...createKyselyQueries(db),
    ...createMeterOutboxQueries(db, 'postgres'),
    ...createStripeCatalogQueries(db),
    ...createBillingEventQueries(db),
    ...createSubscriptionCountQueries(db),
    ...createSubscriptionQueries(db),
    ...createDashboardTokenQueries(db),
    ...createCustomerPriceQueries(db),
    ...createHistoryQueries(db, 'postgres'),
    ...createOverrideQueries(db, 'postgres'),
    ...createPostgresGrantQueries(db),

    async migrate() {
      if (schema !== undefined) await createSchemaIfMissing(db, schema);
      // Kysely looks for its bookkeeping tables in every schema unless told which one: name ours, so
      // schemas sharing a database (tests, several apps) do not see each other's migrations.
      const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
      const migrationTableSchema = current.rows[0]?.schema;
      if (migrationTableSchema === undefined) throw new Error('no current schema: check search_path');
      await migrateToLatest(db, { migrationTableSchema });
    },

    customerChanges,
    quietToken: () => customerChanges.epoch(),

    async close() {
      // Unspent lease units go back to their counters before the pool closes.
      await leases?.close();
      await customerChanges.close();
      await db.destroy();
    },

    commitUsage(debits, recordedAt) {
      return commitUsageOnPostgres(pool, debits, recordedAt, meterWindowMs, leases);
    },

    async touchApiKeys(lastUsed) {
      if (lastUsed.size === 0) return;
      // One statement for the whole map; times only move forward, whichever process flushes last.
      await sql`
        UPDATE api_keys AS k SET last_used_at = greatest(coalesce(k.last_used_at, 0), u.last_used_at)
        FROM unnest(${[...lastUsed.keys()]}::text[], ${[...lastUsed.values()]}::bigint[]) AS u(id, last_used_at)
        WHERE k.id = u.id`.execute(db);
    },
  };
}

async function createSchemaIfMissing(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await db.schema.createSchema(schema).ifNotExists().execute();
  } catch (error) {
    // Two processes creating it at once: IF NOT EXISTS can still fail on the catalog's unique index.
    const code = (error as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}
