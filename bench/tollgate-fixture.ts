/**
 * Fills a Tollgate store before a run: the customers and their keys through the Store interface,
 * then (optionally) a large usage history written with raw SQL, because a million rows through
 * `commitUsage` would take longer than the bench itself. The rows are what the engine would have
 * written: events in the current period, interleaved over the customers in time order, and one
 * counter row per customer equal to the sum of its events.
 *
 * Bulk loading builds the table's secondary indexes (and on PostgreSQL its keys) once after the
 * insert instead of row by row: the same final database, several times faster. On SQLite that
 * includes the per-customer index table of the usage log and its watermark (migration 013).
 */
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { calendarMonth } from '../src/core/periods.js';
import type { Store } from '../src/core/ports.js';
import { BENCH_OPERATION, BENCH_OPERATION_COST } from './bench-catalog.js';
import { type BenchCustomer, CUSTOMER_ID_DIGITS, CUSTOMER_ID_PREFIX } from './bench-customers.js';
import { rebuildPostgresIndexesAround } from './postgres-bulk-load.js';
import { openStore, type StoreSpec } from './store-spec.js';

export interface TollgateFixture {
  customers: readonly BenchCustomer[];
  /** Usage events to store before the run (0 for an empty history). */
  usageRows: number;
  now: number;
}

/** Migrates the store, adds the customers and keys, then the usage history. */
export async function prepareTollgateStore(spec: StoreSpec, fixture: TollgateFixture): Promise<void> {
  const store = openStore(spec);
  try {
    await store.migrate();
    await addCustomers(store, fixture);
  } finally {
    await store.close();
  }
  if (fixture.usageRows === 0) return;
  if (spec.kind === 'sqlite') preloadSqliteUsage(spec.filename, fixture);
  else await preloadPostgresUsage(spec.connectionString, spec.schema, fixture);
}

async function addCustomers(store: Store, fixture: TollgateFixture): Promise<void> {
  // A few at a time: PostgreSQL overlaps the round trips; SQLite runs them one by one anyway.
  const chunk = 50;
  for (let start = 0; start < fixture.customers.length; start += chunk) {
    await Promise.all(
      fixture.customers.slice(start, start + chunk).map(async (customer) => {
        await store.createCustomer({ id: customer.id, plan: 'bench', createdAt: fixture.now });
        await store.createApiKey(customer.record);
      }),
    );
  }
}

interface UsageLayout {
  periodStart: number;
  /** Milliseconds between consecutive rows' times: the rows cover the period so far. */
  step: number;
  customerCount: number;
  /** Row n belongs to customer n % customerCount; so many rows each, in customer order. */
  counters: Array<{ customerId: string; used: number }>;
}

function usageLayout(fixture: TollgateFixture): UsageLayout {
  const periodStart = calendarMonth(fixture.now).start;
  const customerCount = fixture.customers.length;
  const perCustomer = Math.floor(fixture.usageRows / customerCount);
  const remainder = fixture.usageRows % customerCount;
  return {
    periodStart,
    step: Math.max(1, fixture.now - periodStart) / fixture.usageRows,
    customerCount,
    counters: fixture.customers.map((customer, index) => ({
      customerId: customer.id,
      used: (perCustomer + (index < remainder ? 1 : 0)) * BENCH_OPERATION_COST,
    })),
  };
}

function preloadSqliteUsage(filename: string, fixture: TollgateFixture): void {
  const { periodStart, step, customerCount, counters } = usageLayout(fixture);
  const database = new BetterSqlite3(filename);
  try {
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    // Every generated row names a customer added above; checking 1M foreign keys one by one is slow.
    database.pragma('foreign_keys = OFF');
    database.pragma('cache_size = -512000');
    const indexes = database
      .prepare<[], { name: string; sql: string }>(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_events' AND sql IS NOT NULL`,
      )
      .all();
    const upsertCounter = database.prepare<[string, number, number]>(
      `INSERT INTO usage_counters (customer_id, period_start, used, overage) VALUES (?, ?, ?, 0)
       ON CONFLICT (customer_id, period_start) DO UPDATE SET used = excluded.used`,
    );
    database.transaction(() => {
      for (const index of indexes) database.exec(`DROP INDEX "${index.name}"`);
      // Generated inside SQLite (a recursive CTE): one statement, no per-row binding from JS. Integers
      // are written into the SQL because better-sqlite3 binds JS numbers as REAL.
      database
        .prepare(
          `INSERT INTO usage_events (id, customer_id, period_start, operation, quantity, cost, overage, used_after,
             idempotency_key, request_hash, occurred_at, recorded_at)
           WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < ${fixture.usageRows - 1})
           SELECT printf('usage_preload_%08d', n),
             :prefix || printf('%0${CUSTOMER_ID_DIGITS}d', n % ${customerCount}),
             ${periodStart}, :operation, 1, ${BENCH_OPERATION_COST}, 0,
             (n / ${customerCount} + 1) * ${BENCH_OPERATION_COST}, NULL, NULL,
             ${periodStart} + CAST(n * :step AS INTEGER), ${periodStart} + CAST(n * :step AS INTEGER)
           FROM g`,
        )
        .run({ prefix: CUSTOMER_ID_PREFIX, operation: BENCH_OPERATION, step });
      for (const index of indexes) database.exec(index.sql);
      // The per-customer index of the log (migration 013), filled and its watermark moved as the
      // store's indexer would have left them: every preloaded event indexed, the tail empty.
      database.exec(
        `INSERT INTO usage_event_index (customer_id, recorded_at, id, event_seq)
         SELECT customer_id, recorded_at, id, seq FROM usage_events ORDER BY customer_id, recorded_at, id`,
      );
      database.exec(
        `UPDATE usage_event_watermark SET customer_cursor = NULL,
           indexed_through = (SELECT coalesce(max(seq), 0) FROM usage_events),
           flushing_through = (SELECT coalesce(max(seq), 0) FROM usage_events)`,
      );
      for (const counter of counters) upsertCounter.run(counter.customerId, periodStart, counter.used);
    })();
    // Leave the rows in the database file, not in a large WAL that the run's first checkpoint would copy.
    database.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    database.close();
  }
}

async function preloadPostgresUsage(
  connectionString: string,
  schema: string,
  fixture: TollgateFixture,
): Promise<void> {
  const { periodStart, step, customerCount, counters } = usageLayout(fixture);
  const client = new pg.Client({ connectionString, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query('BEGIN');
    await rebuildPostgresIndexesAround(client, 'usage_events', async () => {
      // generate_series on the server: one statement, no rows over the wire.
      await client.query(
        `INSERT INTO usage_events (id, customer_id, period_start, operation, quantity, cost, overage, used_after,
           idempotency_key, request_hash, occurred_at, recorded_at)
         SELECT 'usage_preload_' || lpad(n::text, 8, '0'),
           $1::text || lpad((n % $2::int)::text, ${CUSTOMER_ID_DIGITS}, '0'),
           $3::bigint, $4::text, 1, $5::bigint, 0, (n / $2::int + 1) * $5::bigint, NULL, NULL,
           $3::bigint + floor(n * $6::float8)::bigint, $3::bigint + floor(n * $6::float8)::bigint
         FROM generate_series(0, $7::int - 1) AS n`,
        [
          CUSTOMER_ID_PREFIX,
          customerCount,
          periodStart,
          BENCH_OPERATION,
          BENCH_OPERATION_COST,
          step,
          fixture.usageRows,
        ],
      );
    });
    await client.query(
      `INSERT INTO usage_counters (customer_id, period_start, used, overage)
       SELECT c.customer_id, $3::bigint, c.used, 0 FROM unnest($1::text[], $2::bigint[]) AS c(customer_id, used)
       ON CONFLICT (customer_id, period_start) DO UPDATE SET used = excluded.used`,
      [counters.map((counter) => counter.customerId), counters.map((counter) => counter.used), periodStart],
    );
    await client.query('COMMIT');
    // Now rather than by autovacuum in the middle of a measured run.
    await client.query('VACUUM ANALYZE usage_events');
  } finally {
    await client.end();
  }
}
