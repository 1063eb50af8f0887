/**
 * The SQLite reads of a customer's usage events, over the log layout of migration 013
 * (docs/decisions/016): the events up to the watermark through `usage_event_index`, the unindexed
 * tail above it by `seq`. Each read is one statement, so it sees the index and the watermark of one
 * snapshot: an event is read from exactly one of the two parts whether or not a flush ran just before.
 * The tail is at most a few thousand events (sqlite-usage-index.ts), read in `seq` order; the indexed
 * part is a range of the customer's index rows, so a read costs the same at 1 or 1M stored events.
 *
 * Same answers as the Kysely queries PostgreSQL runs (kysely-queries.ts, history-queries.ts).
 * `findUsageEvent` and the idempotency lookups need nothing here: they use the
 * `(customer_id, idempotency_key)` unique index, which keyed events still write at commit.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Selectable } from 'kysely';
import type { Store } from '../core/ports.js';
import type { Database, UsageEventsTable } from './database.js';
import { checkBuckets } from './history-queries.js';
import { page } from './keyset-paging.js';
import { usageEventFromRow } from './rows.js';

export type SqliteUsageReads = Pick<
  Store,
  | 'listUsageEvents'
  | 'pageUsageEvents'
  | 'sumUsageByKey'
  | 'sumOperationQuantities'
  | 'sumUsageEvents'
  | 'usageTotals'
>;

/**
 * The customer's watermark: its events with a greater `seq` are not in the index yet. During an
 * indexing cycle, the customers before the cursor are indexed up to `flushing_through`.
 */
const WATERMARK = `(SELECT CASE WHEN customer_cursor IS NOT NULL AND @customer < customer_cursor
    THEN flushing_through ELSE indexed_through END FROM usage_event_watermark WHERE id = 1)`;

/** Columns the index holds: the indexed part reads them from it, in its order. */
const INDEXED = new Set(['customer_id', 'recorded_at', 'id']);

const EVENT_COLUMNS = [
  'id',
  'customer_id',
  'period_start',
  'operation',
  'quantity',
  'cost',
  'overage',
  'used_after',
  'idempotency_key',
  'request_hash',
  'occurred_at',
  'recorded_at',
  'metadata',
  'key_id',
] as const;

/**
 * A customer's events as one compound SELECT of `columns` (event column names): from the indexed
 * part, where `indexed` bounds the index range (on `i`), and from the tail; `where` filters both (on
 * `e`). The join is a CROSS JOIN so SQLite walks the index range first, never the whole event table;
 * the key columns come from the index so that an ORDER BY recorded_at, id follows it without a sort.
 */
export function customerEvents(columns: readonly string[], where: string, indexed = ''): string {
  const fromIndex = columns.map((name) => `${INDEXED.has(name) ? 'i' : 'e'}.${name} AS ${name}`).join(', ');
  const fromTail = columns.map((name) => `e.${name} AS ${name}`).join(', ');
  return `SELECT ${fromIndex} FROM usage_event_index AS i CROSS JOIN usage_events AS e ON e.seq = i.event_seq
      WHERE i.customer_id = @customer ${indexed} AND ${where}
    UNION ALL
    SELECT ${fromTail} FROM usage_events AS e
      WHERE e.seq > ${WATERMARK} AND e.customer_id = @customer AND ${where}`;
}

// Events of a period are recorded at or after its start: the range keeps to the customer's index.
const IN_PERIOD = 'e.period_start = @period AND e.recorded_at >= @period';

/** The statements, by read (exported for the query-plan test). */
export const USAGE_READ_SQL = {
  listed: `${customerEvents(
    EVENT_COLUMNS,
    'e.recorded_at >= @from AND e.recorded_at < @to',
    'AND i.recorded_at >= @from AND i.recorded_at < @to',
  )} ORDER BY recorded_at, id LIMIT @limit`,
  newest: `${customerEvents(EVENT_COLUMNS, 'TRUE')} ORDER BY recorded_at DESC, id DESC LIMIT @limit`,
  // After the cursor's event: its recorded_at is read once, in the same snapshot.
  newestAfter: `${customerEvents(
    EVENT_COLUMNS,
    '(e.recorded_at < @key OR (e.recorded_at = @key AND e.id < @after))',
    'AND i.recorded_at <= @key',
  ).replaceAll(
    '@key',
    '(SELECT recorded_at FROM usage_events WHERE id = @after)',
  )} ORDER BY recorded_at DESC, id DESC LIMIT @limit`,
  byKey: `SELECT key_id, sum(cost) AS cost, count(*) AS events FROM (${customerEvents(
    ['key_id', 'cost'],
    IN_PERIOD,
    'AND i.recorded_at >= @period',
  )}) GROUP BY key_id ORDER BY key_id`,
  byOperation: `SELECT operation, sum(quantity) AS quantity FROM (${customerEvents(
    ['operation', 'quantity'],
    IN_PERIOD,
    'AND i.recorded_at >= @period',
  )}) GROUP BY operation`,
  periodSum: `SELECT coalesce(sum(cost), 0) AS cost, count(*) AS events FROM (${customerEvents(
    ['cost'],
    'e.period_start = @period',
  )})`,
  // better-sqlite3 binds JS numbers as REAL: the bucket arithmetic casts them to stay integer division.
  buckets: `SELECT (recorded_at - CAST(@from AS INTEGER)) / CAST(@bucket AS INTEGER) AS bucket, sum(cost) AS credits, count(*) AS events
  FROM (${customerEvents(
    ['recorded_at', 'cost'],
    'e.period_start = @from AND e.recorded_at >= @from AND e.recorded_at < @to',
    'AND i.recorded_at >= @from AND i.recorded_at < @to',
  )}) GROUP BY bucket ORDER BY bucket`,
} as const;

export function createSqliteUsageReads(
  database: BetterSqlite3.Database,
  db: Kysely<Database>,
): SqliteUsageReads {
  const statements = new Map<string, BetterSqlite3.Statement>();
  // Prepared on first use (the tables exist once migrate() has run), then kept.
  const prepare = <Row>(text: string): BetterSqlite3.Statement<[Record<string, unknown>], Row> => {
    let statement = statements.get(text);
    if (statement === undefined) {
      statement = database.prepare(text);
      statements.set(text, statement);
    }
    return statement as BetterSqlite3.Statement<[Record<string, unknown>], Row>;
  };
  // As the point reads (sqlite-point-reads.ts): at once outside a transaction, else behind its mutex.
  const read = <T>(run: () => T): T | Promise<T> =>
    database.inTransaction ? db.connection().execute(async () => run()) : run();

  type EventRow = Selectable<UsageEventsTable>;
  return {
    async listUsageEvents(customerId, from, to, limit) {
      const statement = prepare<EventRow>(USAGE_READ_SQL.listed);
      const rows = await read(() => statement.all({ customer: customerId, from, to, limit }));
      return rows.map(usageEventFromRow);
    },

    async pageUsageEvents(customerId, options) {
      const statement = prepare<EventRow>(
        options.after === undefined ? USAGE_READ_SQL.newest : USAGE_READ_SQL.newestAfter,
      );
      const parameters = { customer: customerId, limit: options.limit + 1 };
      const rows = await read(() =>
        statement.all(options.after === undefined ? parameters : { ...parameters, after: options.after }),
      );
      const { items, hasMore } = page(rows, options.limit);
      return { events: items.map(usageEventFromRow), hasMore };
    },

    async sumUsageByKey(customerId, periodStart) {
      const statement = prepare<{ key_id: string | null; cost: number; events: number }>(
        USAGE_READ_SQL.byKey,
      );
      const rows = await read(() => statement.all({ customer: customerId, period: periodStart }));
      return rows.map((row) => ({
        keyId: row.key_id,
        cost: Number(row.cost ?? 0),
        events: Number(row.events),
      }));
    },

    async sumOperationQuantities(customerId, periodStart) {
      const statement = prepare<{ operation: string; quantity: number }>(USAGE_READ_SQL.byOperation);
      const rows = await read(() => statement.all({ customer: customerId, period: periodStart }));
      return Object.fromEntries(rows.map((row) => [row.operation, Number(row.quantity)]));
    },

    async sumUsageEvents(customerId, periodStart) {
      const statement = prepare<{ cost: number; events: number }>(USAGE_READ_SQL.periodSum);
      const row = await read(() => statement.get({ customer: customerId, period: periodStart }));
      return { cost: Number(row?.cost ?? 0), events: Number(row?.events ?? 0) };
    },

    async usageTotals(customerId, from, to, bucketMs) {
      checkBuckets(from, bucketMs);
      const statement = prepare<{ bucket: number; credits: number; events: number }>(USAGE_READ_SQL.buckets);
      const rows = await read(() => statement.all({ customer: customerId, from, to, bucket: bucketMs }));
      return rows.map((row) => ({
        start: from + Number(row.bucket) * bucketMs,
        credits: Number(row.credits),
        events: Number(row.events),
      }));
    },
  };
}
