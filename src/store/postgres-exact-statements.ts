/**
 * The SQL of the PostgreSQL exact path (postgres-exact-commit.ts), in the order a transaction runs it.
 * Each statement takes whole columns as arrays and `unnest`s them, so a batch costs the same number of
 * round trips whatever its size.
 *
 * Every lookup goes row by row through an index (a LATERAL subquery with LIMIT 1 per array element, or
 * an ON CONFLICT arbiter), so the cost stays proportional to the batch, never to the table: a plain
 * join on `unnest(...)` lets the planner pick a sequential scan of all events when statistics are off.
 */

// Creates the batch's missing counter rows and locks every counter row of the batch in one
// statement, in array order (sorted in JS, so two batches never wait on each other in a cycle). An
// existing row is locked by a DO UPDATE that changes only `leased`, and RETURNING gives its latest
// version (a SELECT in the same statement could not see a row inserted by its own CTE). Before that,
// it deletes the counters' expired quota leases, this instance's leases handed over ($4) and, on a
// reclaiming attempt, every lease on the counters of the customers in $5 (live ones of other instances
// too), taking what they had left off `leased` (`excluded.leased` carries it; a missing counter row has
// no lease).
// The Sort on `position` makes the DELETE finish before the first counter row is touched: lease rows
// before counter rows, the order of every statement that touches both (docs/decisions/017).
export const lockCounters = `
  WITH gone AS (
    DELETE FROM quota_leases AS l
    USING unnest($1::text[], $2::bigint[]) AS k(customer_id, period_start)
    WHERE l.customer_id = k.customer_id AND l.period_start = k.period_start
      AND (l.expires_at <= $3::bigint OR l.id = ANY($4::text[]) OR l.customer_id = ANY($5::text[]))
    RETURNING l.customer_id, l.period_start, l.remaining
  ), freed AS (
    SELECT customer_id, period_start, sum(remaining) AS units FROM gone GROUP BY customer_id, period_start
  )
  INSERT INTO usage_counters AS c (customer_id, period_start, used, overage, leased)
  SELECT k.customer_id, k.period_start, 0, 0, coalesce(f.units, 0)
  FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS k(customer_id, period_start, position)
  LEFT JOIN freed AS f ON f.customer_id = k.customer_id AND f.period_start = k.period_start
  ORDER BY k.position
  ON CONFLICT (customer_id, period_start) DO UPDATE SET leased = c.leased - excluded.leased
  RETURNING c.customer_id, c.period_start, c.used, c.overage, c.held, c.leased`;

// Batches that count operation windows run this after the credit counters are locked: the window
// counters created if missing and locked the same way, in one fixed (sorted) order.
export const lockWindows = `
  INSERT INTO operation_counters AS o (customer_id, operation, window_name, window_start, used, overage)
  SELECT w.customer_id, w.operation, w.window_name, w.window_start, 0, 0
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY
    AS w(customer_id, operation, window_name, window_start, position)
  ORDER BY w.position
  ON CONFLICT (customer_id, operation, window_name, window_start) DO UPDATE SET held = o.held
  RETURNING o.customer_id, o.operation, o.window_name, o.window_start, o.used, o.overage, o.held`;

export const selectKnownEvents = `
  SELECT e.customer_id, e.idempotency_key, e.id, e.request_hash, e.used_after, e.overage
  FROM unnest($1::text[], $2::text[]) AS k(customer_id, idempotency_key)
  CROSS JOIN LATERAL (
    SELECT * FROM usage_events AS e
    WHERE e.customer_id = k.customer_id AND e.idempotency_key = k.idempotency_key AND e.idempotency_key IS NOT NULL
    LIMIT 1
  ) AS e`;

/**
 * The events' metadata and key come last ($18 and $19, or $25 and $26 after the window counters'), so
 * the numbers above stay.
 */
const insertEvents = (metadata: number) => `
  INSERT INTO usage_events (id, customer_id, period_start, operation, quantity, cost, overage, used_after,
    idempotency_key, request_hash, occurred_at, recorded_at, metadata, key_id)
  SELECT e.id, e.customer_id, e.period_start, e.operation, e.quantity, e.cost, e.overage, e.used_after,
    e.idempotency_key, e.request_hash, e.occurred_at, $12::bigint, e.metadata, e.key_id
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
    $8::bigint[], $9::text[], $10::text[], $11::bigint[], $${metadata}::text[], $${metadata + 1}::text[])
    AS e(id, customer_id, period_start, operation, quantity, cost, overage, used_after,
      idempotency_key, request_hash, occurred_at, metadata, key_id)`;

const writeCounters = `
  INSERT INTO usage_counters (customer_id, period_start, used, overage, held)
  SELECT * FROM unnest($13::text[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[])
  ON CONFLICT (customer_id, period_start)
  DO UPDATE SET used = excluded.used, overage = excluded.overage, held = excluded.held`;

export const writeEventsAndCounters = `WITH inserted AS (${insertEvents(18)}) ${writeCounters}`;

export const writeEventsCountersAndWindows = `
  WITH inserted AS (${insertEvents(25)}), counters AS (${writeCounters})
  INSERT INTO operation_counters (customer_id, operation, window_name, window_start, used, overage, held)
  SELECT * FROM unnest($18::text[], $19::text[], $20::text[], $21::bigint[], $22::bigint[], $23::bigint[],
    $24::bigint[])
  ON CONFLICT (customer_id, operation, window_name, window_start)
  DO UPDATE SET used = excluded.used, overage = excluded.overage, held = excluded.held`;

// Limited keys (migration 012): only batches with a debit carrying a `keyLimit` run these, after the
// customer counters are locked. A key belongs to its debit's customer, so that lock already keeps every
// other batch off the key's counter. A key's first debit of a period counts what its events of the
// period already cost (COALESCE evaluates the sum only for a missing row).
export const selectKeyCounters = `
  SELECT k.key_id, k.period_start, coalesce(c.used, (
    SELECT coalesce(sum(e.cost), 0) FROM usage_events AS e
    WHERE e.customer_id = k.customer_id AND e.recorded_at >= k.period_start
      AND e.period_start = k.period_start AND e.key_id = k.key_id)) AS used
  FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(key_id, period_start, customer_id)
  LEFT JOIN LATERAL (
    SELECT used FROM key_counters AS c WHERE c.key_id = k.key_id AND c.period_start = k.period_start LIMIT 1
  ) AS c ON true`;

export const writeKeyCounters = `
  INSERT INTO key_counters (key_id, period_start, customer_id, used)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
  ON CONFLICT (key_id, period_start) DO UPDATE SET used = excluded.used`;

// Reservations (migration 007): only batches that meet a hold or a reservation run it.
export const selectReservations = `
  SELECT id, status, cost, quantity, expires_at FROM reservations WHERE id = ANY($1::text[])`;

// Only batches with overage run it. Rows arrive sorted by (customer, meter, window), so two batches
// touching the same rows wait in one order. A reported window that receives usage again is pending again.
export const addToOutbox = `
  INSERT INTO meter_outbox (customer_id, meter, window_start, window_end, value)
  SELECT w.customer_id, w.meter, w.window_start, w.window_end, w.value
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
    AS w(customer_id, meter, window_start, window_end, value)
  ON CONFLICT (customer_id, meter, window_start)
  DO UPDATE SET value = meter_outbox.value + excluded.value, status = 'pending'`;
