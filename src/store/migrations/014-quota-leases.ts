/**
 * Quota leases (docs/decisions/017), PostgreSQL only: SQLite has one writer, which decides under its
 * own lock and needs no leases, so its schema stays as it was and no shared query reads these.
 *
 * - `usage_counters.leased`: milli-credits of the counter's included quota held by live leases, not
 *   yet spent. Admission counts it as unavailable (`used + held + leased` must stay within a limit).
 * - `quota_leases`: one row per hold an instance took on a credit counter. `remaining` is what it may
 *   still spend; `ceiling` is the included quota the lease was granted under (a debit under another
 *   ceiling does not spend from it). A row past `expires_at` may be deleted by any instance, which
 *   then takes `remaining` off `leased` in the same statement.
 * - `tollgate_take_lease(...)`: reclaims the counter's expired leases and grants a slice in one call.
 * - `tollgate_leases_lost(expected, live)`: raises when a spend found fewer live leases than it
 *   spends from, so the whole statement (events, counter, leases) rolls back.
 */
import { type Kysely, sql } from 'kysely';
import { isPostgres, type NamedMigration } from './migration.js';

export const quotaLeases: NamedMigration = {
  name: '014-quota-leases',
  async up(db: Kysely<unknown>): Promise<void> {
    if (!isPostgres(db)) return;
    // A constant default: PostgreSQL adds the column without rewriting the table.
    await sql`ALTER TABLE usage_counters ADD COLUMN leased bigint NOT NULL DEFAULT 0`.execute(db);
    await sql`
      CREATE TABLE quota_leases (
        id text PRIMARY KEY,
        customer_id text NOT NULL,
        period_start bigint NOT NULL,
        instance_id text NOT NULL,
        ceiling bigint NOT NULL,
        granted bigint NOT NULL,
        remaining bigint NOT NULL CHECK (remaining >= 0),
        expires_at bigint NOT NULL
      ) WITH (fillfactor = 50)`.execute(db);
    await sql`CREATE INDEX quota_leases_counter ON quota_leases (customer_id, period_start)`.execute(db);
    // Expired leases, and the caller's own spent-out ones, are deleted first (lease rows before the
    // counter row: the order every statement that touches both takes them in).
    // Slice: at most 1/50 of the ceiling, 1/(8 x (live leases + 1)) of the headroom and `cap`, rounded
    // down to a multiple of `unit` (the debit's cost, so a uniform-cost customer strands nothing);
    // below one unit, none. The counter row is created if missing and locked before it is read.
    await sql`
      CREATE FUNCTION tollgate_take_lease(
        p_customer text, p_period bigint, p_ceiling bigint, p_unit bigint, p_cap bigint,
        p_now bigint, p_expires bigint, p_id text, p_instance text
      ) RETURNS TABLE (granted bigint, headroom bigint)
      LANGUAGE plpgsql AS $$
      DECLARE
        freed bigint;
        live bigint;
        counter usage_counters%ROWTYPE;
        room bigint;
        slice bigint;
      BEGIN
        WITH gone AS (
          DELETE FROM quota_leases AS l
          WHERE l.customer_id = p_customer AND l.period_start = p_period
            AND (l.expires_at <= p_now OR (l.instance_id = p_instance AND l.remaining = 0))
          RETURNING l.remaining
        )
        SELECT coalesce(sum(gone.remaining), 0) INTO freed FROM gone;
        INSERT INTO usage_counters (customer_id, period_start, used, overage)
        VALUES (p_customer, p_period, 0, 0) ON CONFLICT DO NOTHING;
        SELECT * INTO counter FROM usage_counters AS c
        WHERE c.customer_id = p_customer AND c.period_start = p_period FOR UPDATE;
        SELECT count(*) INTO live FROM quota_leases AS l
        WHERE l.customer_id = p_customer AND l.period_start = p_period AND l.remaining > 0;
        room := p_ceiling - (counter.used + counter.held + counter.leased - freed);
        slice := least(p_ceiling / 50, room / (8 * (live + 1)), p_cap);
        IF p_unit > 0 THEN slice := (slice / p_unit) * p_unit; END IF;
        IF slice < greatest(p_unit, 1) THEN slice := 0; END IF;
        IF freed <> 0 OR slice > 0 THEN
          UPDATE usage_counters AS c SET leased = c.leased - freed + slice
          WHERE c.customer_id = p_customer AND c.period_start = p_period;
        END IF;
        IF slice > 0 THEN
          INSERT INTO quota_leases (id, customer_id, period_start, instance_id, ceiling, granted, remaining,
            expires_at)
          VALUES (p_id, p_customer, p_period, p_instance, p_ceiling, slice, slice, p_expires);
        END IF;
        RETURN QUERY SELECT slice, room - slice;
      END $$`.execute(db);
    await sql`
      CREATE FUNCTION tollgate_leases_lost(p_expected bigint, p_live bigint) RETURNS boolean
      LANGUAGE plpgsql AS $$
      BEGIN
        IF p_live < p_expected THEN
          RAISE EXCEPTION 'quota lease lost (% of % live)', p_live, p_expected USING ERRCODE = 'TGL01';
        END IF;
        RETURN false;
      END $$`.execute(db);
  },
};
