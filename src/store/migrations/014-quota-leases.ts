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
 * - `tollgate_take_leases(...)`: reclaims the counters' expired leases and grants slices, in one call
 *   for all the counters of a batch.
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
    // One call takes leases on many counters, given sorted (the lock order of every batch). First the
    // counters' expired leases, and the caller's own previous ones, are deleted (lease rows before
    // counter rows: the order every statement that touches both takes them in); then, per counter,
    // the row is created if missing, locked, and the freed units come off `leased`.
    // Slice: at most 1/50 of the ceiling, 1/(8 x (live leases + 1)) of the headroom and `cap`, rounded
    // down to a multiple of `unit` (the debit's cost, so a uniform-cost customer strands nothing);
    // below one unit, none.
    await sql`
      CREATE FUNCTION tollgate_take_leases(
        p_customers text[], p_periods bigint[], p_ceilings bigint[], p_units bigint[], p_caps bigint[],
        p_ids text[], p_now bigint, p_expires bigint, p_instance text
      ) RETURNS TABLE (lease_customer text, lease_period bigint, granted bigint)
      LANGUAGE plpgsql AS $$
      DECLARE
        i integer;
        freed_units bigint[];
        freed bigint;
        live bigint;
        counter usage_counters%ROWTYPE;
        room bigint;
        slice bigint;
      BEGIN
        WITH gone AS (
          DELETE FROM quota_leases AS l
          USING unnest(p_customers, p_periods) AS k(customer_id, period_start)
          WHERE l.customer_id = k.customer_id AND l.period_start = k.period_start
            AND (l.expires_at <= p_now OR l.instance_id = p_instance)
          RETURNING l.customer_id, l.period_start, l.remaining
        ), by_counter AS (
          SELECT g.customer_id, g.period_start, sum(g.remaining) AS units FROM gone AS g GROUP BY 1, 2
        )
        SELECT array_agg(coalesce(f.units, 0) ORDER BY k.position) INTO freed_units
        FROM unnest(p_customers, p_periods) WITH ORDINALITY AS k(customer_id, period_start, position)
        LEFT JOIN by_counter AS f ON f.customer_id = k.customer_id AND f.period_start = k.period_start;
        FOR i IN 1 .. coalesce(array_length(p_customers, 1), 0) LOOP
          freed := freed_units[i];
          INSERT INTO usage_counters AS c (customer_id, period_start, used, overage)
          VALUES (p_customers[i], p_periods[i], 0, 0) ON CONFLICT DO NOTHING;
          SELECT * INTO counter FROM usage_counters AS c
          WHERE c.customer_id = p_customers[i] AND c.period_start = p_periods[i] FOR UPDATE;
          SELECT count(*) INTO live FROM quota_leases AS l
          WHERE l.customer_id = p_customers[i] AND l.period_start = p_periods[i] AND l.remaining > 0;
          room := p_ceilings[i] - (counter.used + counter.held + counter.leased - freed);
          slice := least(p_ceilings[i] / 50, room / (8 * (live + 1)), p_caps[i]);
          IF p_units[i] > 0 THEN slice := (slice / p_units[i]) * p_units[i]; END IF;
          IF slice < greatest(p_units[i], 1) THEN slice := 0; END IF;
          IF freed <> 0 OR slice > 0 THEN
            UPDATE usage_counters AS c SET leased = c.leased - freed + slice
            WHERE c.customer_id = p_customers[i] AND c.period_start = p_periods[i];
          END IF;
          IF slice > 0 THEN
            INSERT INTO quota_leases (id, customer_id, period_start, instance_id, ceiling, granted, remaining,
              expires_at)
            VALUES (p_ids[i], p_customers[i], p_periods[i], p_instance, p_ceilings[i], slice, slice, p_expires);
          END IF;
          lease_customer := p_customers[i];
          lease_period := p_periods[i];
          granted := slice;
          RETURN NEXT;
        END LOOP;
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
