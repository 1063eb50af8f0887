/**
 * The design a newcomer writes, to compare against: per request, find the key's customer in a table,
 * `SELECT SUM(cost)` over the customer's usage rows this period, compare with the limit, `INSERT` one
 * row, then answer. The usage table has the index a newcomer adds (customer_id only), and the queries
 * run one after the other on the request's path: better-sqlite3's synchronous calls on SQLite, an
 * awaited `pool.query` per statement on PostgreSQL.
 *
 * Its own tables (`keys`, `usage`) in its own database file or schema, preloaded like the gated
 * store: the same customers, keys and number of rows this period.
 */
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { calendarMonth } from '../src/core/periods.js';
import { BENCH_CREDIT_QUOTA, BENCH_OPERATION_COST } from './bench-catalog.js';
import { type BenchCustomer, CUSTOMER_ID_DIGITS, CUSTOMER_ID_PREFIX } from './bench-customers.js';

export type NaiveDatabaseSpec =
  | { kind: 'sqlite'; filename: string }
  | { kind: 'postgres'; connectionString: string; schema: string; poolSize: number };

/** What the naive handler decides for one request. */
export type NaiveOutcome = 'ok' | 'unauthorized' | 'quota_exceeded';

export type NaiveHandler = (apiKey: string | undefined) => NaiveOutcome | Promise<NaiveOutcome>;

export interface NaiveDesign {
  handle: NaiveHandler;
  close(): Promise<void>;
}

const sqliteSchema = `
  CREATE TABLE keys (hash TEXT PRIMARY KEY, customer_id TEXT NOT NULL);
  CREATE TABLE usage (id INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, cost INTEGER NOT NULL,
    created_at INTEGER NOT NULL);`;
const postgresSchema = `
  CREATE TABLE keys (hash text PRIMARY KEY, customer_id text NOT NULL);
  CREATE TABLE usage (id bigserial PRIMARY KEY, customer_id text NOT NULL, cost bigint NOT NULL,
    created_at bigint NOT NULL);`;
/** The one index a newcomer adds. Built after the preload (same index, built once). */
const usageIndex = 'CREATE INDEX usage_customer_id ON usage (customer_id)';

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Creates the tables and stores the keys and `usageRows` rows this period, interleaved over customers. */
export async function prepareNaiveDatabase(
  spec: NaiveDatabaseSpec,
  customers: readonly BenchCustomer[],
  usageRows: number,
  now: number,
): Promise<void> {
  const periodStart = calendarMonth(now).start;
  const step = Math.max(1, now - periodStart) / Math.max(1, usageRows);
  if (spec.kind === 'sqlite') {
    const database = new BetterSqlite3(spec.filename);
    try {
      database.pragma('journal_mode = WAL');
      database.pragma('synchronous = NORMAL');
      database.pragma('cache_size = -512000');
      database.exec(sqliteSchema);
      const insertKey = database.prepare<[string, string]>(
        'INSERT INTO keys (hash, customer_id) VALUES (?, ?)',
      );
      database.transaction(() => {
        for (const customer of customers) insertKey.run(hashKey(customer.key), customer.id);
        if (usageRows > 0) {
          database
            .prepare(
              `INSERT INTO usage (customer_id, cost, created_at)
               WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < ${usageRows - 1})
               SELECT :prefix || printf('%0${CUSTOMER_ID_DIGITS}d', n % ${customers.length}),
                 ${BENCH_OPERATION_COST}, ${periodStart} + CAST(n * :step AS INTEGER)
               FROM g`,
            )
            .run({ prefix: CUSTOMER_ID_PREFIX, step });
        }
        database.exec(usageIndex);
      })();
      database.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      database.close();
    }
    return;
  }

  const client = new pg.Client({ connectionString: spec.connectionString });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${spec.schema}"`);
    await client.query(`SET search_path = "${spec.schema}"`);
    await client.query('BEGIN');
    await client.query(postgresSchema);
    await client.query('INSERT INTO keys (hash, customer_id) SELECT * FROM unnest($1::text[], $2::text[])', [
      customers.map((customer) => hashKey(customer.key)),
      customers.map((customer) => customer.id),
    ]);
    await client.query(
      `INSERT INTO usage (customer_id, cost, created_at)
       SELECT $1::text || lpad((n % $2::int)::text, ${CUSTOMER_ID_DIGITS}, '0'), $3::bigint,
         $4::bigint + floor(n * $5::float8)::bigint
       FROM generate_series(0, $6::int - 1) AS n`,
      [CUSTOMER_ID_PREFIX, customers.length, BENCH_OPERATION_COST, periodStart, step, usageRows],
    );
    await client.query(usageIndex);
    await client.query('COMMIT');
    // A running system has statistics (autovacuum gathers them): give the planner the same.
    await client.query('VACUUM ANALYZE usage');
  } finally {
    await client.end();
  }
}

/** Opens the naive design's database and returns its per-request handler. */
export function openNaiveDesign(spec: NaiveDatabaseSpec): NaiveDesign {
  const limit = BENCH_CREDIT_QUOTA;
  const cost = BENCH_OPERATION_COST;
  if (spec.kind === 'sqlite') {
    const database = new BetterSqlite3(spec.filename);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    const findKey = database.prepare<[string], { customer_id: string }>(
      'SELECT customer_id FROM keys WHERE hash = ?',
    );
    const sumUsage = database.prepare<[string, number], { used: number | null }>(
      'SELECT SUM(cost) AS used FROM usage WHERE customer_id = ? AND created_at >= ?',
    );
    const insertUsage = database.prepare<[string, number, number]>(
      'INSERT INTO usage (customer_id, cost, created_at) VALUES (?, ?, ?)',
    );
    return {
      handle(apiKey) {
        if (apiKey === undefined) return 'unauthorized';
        const key = findKey.get(hashKey(apiKey));
        if (!key) return 'unauthorized';
        const now = Date.now();
        const used = sumUsage.get(key.customer_id, calendarMonth(now).start)?.used ?? 0;
        if (used + cost > limit) return 'quota_exceeded';
        insertUsage.run(key.customer_id, cost, now);
        return 'ok';
      },
      async close() {
        database.close();
      },
    };
  }

  const pool = new pg.Pool({
    connectionString: spec.connectionString,
    max: spec.poolSize,
    options: `-c search_path=${spec.schema}`,
  });
  pool.on('error', () => {});
  return {
    async handle(apiKey) {
      if (apiKey === undefined) return 'unauthorized';
      const key = await pool.query<{ customer_id: string }>('SELECT customer_id FROM keys WHERE hash = $1', [
        hashKey(apiKey),
      ]);
      const customerId = key.rows[0]?.customer_id;
      if (customerId === undefined) return 'unauthorized';
      const now = Date.now();
      const usage = await pool.query<{ used: string | null }>(
        'SELECT SUM(cost) AS used FROM usage WHERE customer_id = $1 AND created_at >= $2',
        [customerId, calendarMonth(now).start],
      );
      if (Number(usage.rows[0]?.used ?? 0) + cost > limit) return 'quota_exceeded';
      await pool.query('INSERT INTO usage (customer_id, cost, created_at) VALUES ($1, $2, $3)', [
        customerId,
        cost,
        now,
      ]);
      return 'ok';
    },
    async close() {
      await pool.end();
    },
  };
}
