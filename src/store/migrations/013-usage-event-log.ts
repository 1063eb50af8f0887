/**
 * The usage table as an append-only log on SQLite (docs/decisions/016): the per-customer index
 * `(customer_id, recorded_at)` leaves `usage_events`, whose every insert dirtied its customer's leaf
 * page (~15 of ~21 µs per event at 1M rows), and moves to `usage_event_index`, a covering copy
 * filled behind the head in sorted bulk (sqlite-usage-index.ts). `usage_event_watermark` says which
 * events are copied (all up to `indexed_through`, and during a cycle those up to `flushing_through` of
 * the customers before `customer_cursor`); reads take the indexed part from the index and the short
 * tail above the customer's watermark by `seq` (sqlite-usage-reads.ts).
 *
 * The table is rebuilt once with an explicit `seq INTEGER PRIMARY KEY`: the index points at events by
 * it, and SQLite only promises to keep a row's rowid through VACUUM when it is such a column. The
 * rebuild keeps the events' order, so `seq` follows insertion order. PostgreSQL keeps its schema: its
 * commit path is another design (decisions 002 and 017).
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres, type NamedMigration } from './migration.js';

export const usageEventLog: NamedMigration = {
  name: '013-usage-event-log',
  async up(db: Kysely<unknown>): Promise<void> {
    if (isPostgres(db)) return;
    const columns = sql.raw(
      `id, customer_id, period_start, operation, quantity, cost, overage, used_after, idempotency_key,
       request_hash, occurred_at, recorded_at, metadata, key_id`,
    );
    await sql`
      CREATE TABLE usage_events_log (
        seq integer PRIMARY KEY,
        id text NOT NULL UNIQUE,
        customer_id text NOT NULL,
        period_start bigint NOT NULL,
        operation text NOT NULL,
        quantity bigint NOT NULL,
        cost bigint NOT NULL,
        overage bigint NOT NULL,
        used_after bigint NOT NULL,
        idempotency_key text,
        request_hash text,
        occurred_at bigint NOT NULL,
        recorded_at bigint NOT NULL,
        metadata text,
        key_id text
      )`.execute(db);
    await sql`INSERT INTO usage_events_log (${columns}) SELECT ${columns} FROM usage_events ORDER BY rowid`.execute(
      db,
    );
    await sql`DROP TABLE usage_events`.execute(db);
    await sql`ALTER TABLE usage_events_log RENAME TO usage_events`.execute(db);
    // Only keyed events are in it, and a retry must find its first event inside the commit.
    await sql`
      CREATE UNIQUE INDEX usage_events_idempotency_key_unique ON usage_events (customer_id, idempotency_key)
      WHERE idempotency_key IS NOT NULL`.execute(db);
    await sql`
      CREATE TABLE usage_event_index (
        customer_id text NOT NULL,
        recorded_at bigint NOT NULL,
        -- In the key, so a customer's events come out in the listings' order (recorded_at, id) and a
        -- page stops after its rows instead of sorting all of them.
        id text NOT NULL,
        event_seq integer NOT NULL,
        PRIMARY KEY (customer_id, recorded_at, id)
      ) WITHOUT ROWID`.execute(db);
    await sql`
      CREATE TABLE usage_event_watermark (
        id integer PRIMARY KEY CHECK (id = 1),
        indexed_through integer NOT NULL,
        -- An indexing cycle in progress: the events up to flushing_through of the customers before
        -- customer_cursor are indexed too. No cycle: null, and flushing_through = indexed_through.
        flushing_through integer NOT NULL,
        customer_cursor text
      )`.execute(db);
    await sql`
      INSERT INTO usage_event_index (customer_id, recorded_at, id, event_seq)
      SELECT customer_id, recorded_at, id, seq FROM usage_events ORDER BY customer_id, recorded_at, id`.execute(
      db,
    );
    await sql`
      INSERT INTO usage_event_watermark (id, indexed_through, flushing_through)
      SELECT 1, coalesce(max(seq), 0), coalesce(max(seq), 0) FROM usage_events`.execute(db);
  },
};
