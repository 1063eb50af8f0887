/**
 * The PostgreSQL hot path: one group-commit batch of debits. Plain credit debits are decided against
 * this instance's quota leases and written in one statement (postgres-lease-writes.ts,
 * docs/decisions/017-quota-leases.md); the rest take the exact path here: one transaction, in a fixed
 * number of round trips whatever the batch size (each statement takes whole columns as arrays and
 * `unnest`s them). It uses a pg client from the store's pool directly: Kysely would add a compile per
 * statement and cannot express these array statements more clearly than the SQL below.
 *
 * Order inside the exact transaction, and why:
 *  1. delete the batch counters' expired quota leases (and leases this instance hands back), then
 *     create the missing counter rows and lock every counter row of the batch, in one statement; from
 *     here no other transaction can admit usage for these (customer, period) pairs until we commit,
 *     and `leased` (what live leases hold) is counted as taken. The pairs go in one fixed order
 *     (sorted here, in JS), so two batches never wait on each other in a cycle;
 *  2. lock the operation window counters the same way, when the batch has any;
 *  3. read the events already stored for the batch's idempotency keys (after the locks, so a batch
 *     that committed the same key just before us is visible);
 *  4. decide with `decideDebits` (core), then insert the events and write the counters in one statement.
 * A key stored concurrently for the same customer under another period is not covered by our locks:
 * our insert then fails on the unique index once the other batch commits, and the whole batch runs
 * again, now seeing that event as known (a replay or a conflict). A plain INSERT with this rare retry
 * is ~15% cheaper per row than ON CONFLICT DO NOTHING, which checks every unique index first.
 *
 * Every lookup goes row by row through an index (a LATERAL subquery with LIMIT 1 per array element, or
 * an ON CONFLICT arbiter), so the cost stays proportional to the batch, never to the table: a plain
 * join on `unnest(...)` lets the planner pick a sequential scan of all events when statistics are off.
 */
import type pg from 'pg';
import { canonicalMetadata } from '../core/gate/event-metadata.js';
import {
  type CounterState,
  counterKey,
  decideDebits,
  type HeldReservation,
  idempotencyScope,
  type KnownEvent,
  keyCounterKey,
  type WindowCounter,
  windowCounterKey,
} from '../core/ledger/decide-debits.js';
import type { UsageDebit, UsageEvent, UsageOutcome, WindowUsage } from '../core/ports.js';
import { batchEventIds } from './event-ids.js';
import { overageWindows } from './meter-windows.js';
import { LEASE_LOST, planLeaseDebits, writeLeaseDebits } from './postgres-lease-writes.js';
import type { QuotaLeases } from './postgres-quota-leases.js';
import { dropExpired, writeReservations } from './postgres-reservation-writes.js';
import { heldReservation, reservationIds } from './reservation-rows.js';

// Creates the batch's missing counter rows and locks every counter row of the batch in one
// statement, in array order (sorted in JS, so two batches never wait on each other in a cycle). An
// existing row is locked by a DO UPDATE that changes only `leased`, and RETURNING gives its latest
// version (a SELECT in the same statement could not see a row inserted by its own CTE). Before that,
// it deletes the counters' expired quota leases and this instance's leases handed over ($4), taking
// what they had left off `leased` (`excluded.leased` carries it; a missing counter row has no lease).
// The Sort on `position` makes the DELETE finish before the first counter row is touched: lease rows
// before counter rows, the order of every statement that touches both (docs/decisions/017).
const lockCounters = `
  WITH gone AS (
    DELETE FROM quota_leases AS l
    USING unnest($1::text[], $2::bigint[]) AS k(customer_id, period_start)
    WHERE l.customer_id = k.customer_id AND l.period_start = k.period_start
      AND (l.expires_at <= $3::bigint OR l.id = ANY($4::text[]))
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
const lockWindows = `
  INSERT INTO operation_counters AS o (customer_id, operation, window_name, window_start, used, overage)
  SELECT w.customer_id, w.operation, w.window_name, w.window_start, 0, 0
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) WITH ORDINALITY
    AS w(customer_id, operation, window_name, window_start, position)
  ORDER BY w.position
  ON CONFLICT (customer_id, operation, window_name, window_start) DO UPDATE SET held = o.held
  RETURNING o.customer_id, o.operation, o.window_name, o.window_start, o.used, o.overage, o.held`;

const selectKnownEvents = `
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

const writeEventsAndCounters = `WITH inserted AS (${insertEvents(18)}) ${writeCounters}`;

const writeEventsCountersAndWindows = `
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
const selectKeyCounters = `
  SELECT k.key_id, k.period_start, coalesce(c.used, (
    SELECT coalesce(sum(e.cost), 0) FROM usage_events AS e
    WHERE e.customer_id = k.customer_id AND e.recorded_at >= k.period_start
      AND e.period_start = k.period_start AND e.key_id = k.key_id)) AS used
  FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(key_id, period_start, customer_id)
  LEFT JOIN LATERAL (
    SELECT used FROM key_counters AS c WHERE c.key_id = k.key_id AND c.period_start = k.period_start LIMIT 1
  ) AS c ON true`;

const writeKeyCounters = `
  INSERT INTO key_counters (key_id, period_start, customer_id, used)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
  ON CONFLICT (key_id, period_start) DO UPDATE SET used = excluded.used`;

// Reservations (migration 007): only batches that meet a hold or a reservation run these. Expired
const selectReservations = `
  SELECT id, status, cost, quantity, expires_at FROM reservations WHERE id = ANY($1::text[])`;

// Only batches with overage run it. Rows arrive sorted by (customer, meter, window), so two batches
// touching the same rows wait in one order. A reported window that receives usage again is pending again.
const addToOutbox = `
  INSERT INTO meter_outbox (customer_id, meter, window_start, window_end, value)
  SELECT w.customer_id, w.meter, w.window_start, w.window_end, w.value
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
    AS w(customer_id, meter, window_start, window_end, value)
  ON CONFLICT (customer_id, meter, window_start)
  DO UPDATE SET value = meter_outbox.value + excluded.value, status = 'pending'`;

/**
 * The transaction was rolled back and may simply run again: a unique violation (an idempotency key
 * committed concurrently under another period), a deadlock or a serialization failure.
 */
const retryableCodes = new Set(['23505', '40P01', '40001']);
const maxAttempts = 5;

interface CounterRow {
  customer_id: string;
  period_start: number;
  used: number;
  overage: number;
  held: number;
  leased: number;
}

interface WindowRow {
  customer_id: string;
  operation: string;
  window_name: WindowCounter['window'];
  window_start: number;
  used: number;
  overage: number;
  held: number;
}

interface KnownRow {
  customer_id: string;
  idempotency_key: string;
  id: string;
  request_hash: string | null;
  used_after: number;
  overage: number;
}

/**
 * @param meterWindowMs length of the meter-outbox windows that admitted overage is added to
 * @param leases this instance's quota leases; absent, every debit takes the exact path
 */
export async function commitUsageOnPostgres(
  pool: pg.Pool,
  debits: readonly UsageDebit[],
  recordedAt: number,
  meterWindowMs: number,
  leases?: QuotaLeases,
): Promise<UsageOutcome[]> {
  if (debits.length === 0) return [];
  if (leases === undefined) return commitExactly(pool, debits, recordedAt, meterWindowMs, []);
  const plan = await planLeaseDebits(leases, debits, recordedAt);
  if (plan.admitted.length === 0) {
    return commitExactly(pool, debits, recordedAt, meterWindowMs, plan.returns);
  }
  const { ttlMs } = leases.options;
  const exactDebits = plan.exact.map((index) => debits[index] as UsageDebit);
  let leaseOutcomes: Map<number, UsageOutcome> | undefined;
  let exactOutcomes: UsageOutcome[] = [];
  try {
    if (exactDebits.length === 0) {
      // The hot path: one statement, no transaction.
      leaseOutcomes = await writeLeaseDebits(pool, debits, plan, recordedAt, ttlMs);
    } else {
      // A mixed batch commits as one transaction, so it is still recorded whole or not at all.
      exactOutcomes = await commitExactly(
        pool,
        exactDebits,
        recordedAt,
        meterWindowMs,
        plan.returns,
        async (client) => {
          leaseOutcomes = await writeLeaseDebits(client, debits, plan, recordedAt, ttlMs);
        },
      );
    }
  } catch (error) {
    const code = String((error as { code?: unknown }).code);
    if (code !== LEASE_LOST && !retryableCodes.has(code)) {
      leases.restore(plan.spends);
      throw error;
    }
    // A lease was reclaimed (or the write deadlocked): nothing was written, and the whole batch is
    // decided again on the exact path, which deletes those leases if they still exist.
    const lost = leases.lost(plan.spends.keys());
    return commitExactly(pool, debits, recordedAt, meterWindowMs, [...plan.returns, ...lost]);
  }
  leases.spent(plan.spends.keys(), recordedAt + ttlMs);
  const outcomes: UsageOutcome[] = new Array(debits.length);
  plan.exact.forEach((index, position) => {
    outcomes[index] = exactOutcomes[position] as UsageOutcome;
  });
  for (const [index, outcome] of leaseOutcomes ?? []) outcomes[index] = outcome;
  return outcomes;
}

/**
 * The exact path: one transaction deciding under the counter rows' locks.
 * @param returns ids of this instance's leases to delete in its first statement
 * @param alsoWrite runs inside the transaction after the exact debits are written (a mixed batch's
 * lease statement)
 */
async function commitExactly(
  pool: pg.Pool,
  debits: readonly UsageDebit[],
  recordedAt: number,
  meterWindowMs: number,
  returns: readonly string[],
  alsoWrite?: (client: pg.PoolClient) => Promise<void>,
): Promise<UsageOutcome[]> {
  const pairs = distinctCounterKeys(debits);
  const windows = distinctWindowKeys(debits);
  const scopes = distinctIdempotencyScopes(debits);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      await client.query('BEGIN');
      try {
        const outcomes = await decideAndWrite(
          client,
          debits,
          recordedAt,
          pairs,
          windows,
          scopes,
          meterWindowMs,
          returns,
        );
        if (alsoWrite !== undefined) await alsoWrite(client);
        await client.query('COMMIT');
        return outcomes;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        const code = (error as { code?: unknown }).code;
        if (broken !== undefined || attempt >= maxAttempts || !retryableCodes.has(String(code))) throw error;
      }
    }
  } finally {
    // A client whose ROLLBACK failed is in an unknown state: passing the error makes the pool drop it.
    client.release(broken);
  }
}

async function decideAndWrite(
  client: pg.PoolClient,
  debits: readonly UsageDebit[],
  recordedAt: number,
  pairs: { customerIds: string[]; periodStarts: number[] },
  windows: WindowKeys | null,
  scopes: { customerIds: string[]; keys: string[] },
  meterWindowMs: number,
  returns: readonly string[],
): Promise<UsageOutcome[]> {
  const current = new Map<string, CounterState>();
  const currentWindows = new Map<string, WindowUsage>();
  const locked = await client.query<CounterRow>({
    name: 'tollgate_lock_counters',
    text: lockCounters,
    values: [pairs.customerIds, pairs.periodStarts, recordedAt, returns],
  });
  for (const row of locked.rows) {
    current.set(counterKey(row.customer_id, Number(row.period_start)), {
      used: Number(row.used),
      overage: Number(row.overage),
      held: Number(row.held),
      leased: Number(row.leased),
    });
  }
  if (windows !== null) {
    const lockedWindows = await client.query<WindowRow>({
      name: 'tollgate_lock_windows',
      text: lockWindows,
      values: [windows.customerIds, windows.operations, windows.windows, windows.starts],
    });
    for (const row of lockedWindows.rows) {
      const key = windowCounterKey(row.customer_id, row.operation, row.window_name, Number(row.window_start));
      currentWindows.set(key, {
        used: Number(row.used),
        overage: Number(row.overage),
        held: Number(row.held),
      });
    }
  }

  const known = new Map<string, KnownEvent>();
  if (scopes.keys.length > 0) {
    const result = await client.query<KnownRow>({
      name: 'tollgate_select_known_events',
      text: selectKnownEvents,
      values: [scopes.customerIds, scopes.keys],
    });
    for (const row of result.rows) {
      known.set(idempotencyScope(row.customer_id, row.idempotency_key), {
        eventId: row.id,
        requestHash: row.request_hash,
        usedAfter: row.used_after,
        overage: row.overage,
      });
    }
  }

  const currentKeys = await readKeyCounters(client, debits);
  const cleaned = await dropExpired(client, debits, current, currentWindows, recordedAt);
  const reservations = new Map<string, HeldReservation>();
  const named = reservationIds(debits);
  if (named.length > 0) {
    const result = await client.query<{
      id: string;
      status: string;
      cost: number;
      quantity: number;
      expires_at: number;
    }>({ name: 'tollgate_select_reservations', text: selectReservations, values: [named] });
    for (const row of result.rows) {
      reservations.set(row.id, heldReservation(row, recordedAt));
    }
  }

  const decision = decideDebits(
    debits,
    current,
    known,
    recordedAt,
    batchEventIds(),
    currentWindows,
    reservations,
    currentKeys,
  );
  if (decision.events.length === 0 && decision.reservations.length === 0 && cleaned === null) {
    return decision.outcomes;
  }

  const events = scopes.keys.length > 0 ? [...decision.events].sort(byIdempotencyScope) : decision.events;
  // Counters whose expired holds were dropped are written back too, decided on or not.
  for (const [key, counter] of cleaned?.counters ?? []) {
    if (!decision.counters.has(key)) decision.counters.set(key, counter);
  }
  for (const [key, counter] of cleaned?.windows ?? []) {
    if (!decision.windows.has(key)) decision.windows.set(key, counter);
  }
  const counters = [...decision.counters.values()];
  const windowCounters = [...decision.windows.values()];
  const windowValues =
    windowCounters.length === 0
      ? []
      : [
          windowCounters.map((counter) => counter.customerId),
          windowCounters.map((counter) => counter.operation),
          windowCounters.map((counter) => counter.window),
          windowCounters.map((counter) => counter.start),
          windowCounters.map((counter) => counter.used),
          windowCounters.map((counter) => counter.overage),
          windowCounters.map((counter) => counter.held ?? 0),
        ];
  await client.query({
    name:
      windowCounters.length === 0
        ? 'tollgate_write_events_and_counters'
        : 'tollgate_write_events_counters_and_windows',
    text: windowCounters.length === 0 ? writeEventsAndCounters : writeEventsCountersAndWindows,
    values: [
      events.map((event) => event.id),
      events.map((event) => event.customerId),
      events.map((event) => event.periodStart),
      events.map((event) => event.operation),
      events.map((event) => event.quantity),
      events.map((event) => event.cost),
      events.map((event) => event.overage),
      events.map((event) => event.usedAfter),
      events.map((event) => event.idempotencyKey),
      events.map((event) => event.requestHash),
      events.map((event) => event.occurredAt),
      recordedAt,
      counters.map((counter) => counter.customerId),
      counters.map((counter) => counter.periodStart),
      counters.map((counter) => counter.used),
      counters.map((counter) => counter.overage),
      counters.map((counter) => counter.held ?? 0),
      ...windowValues,
      events.map((event) => canonicalMetadata(event.metadata)),
      events.map((event) => event.keyId ?? null),
    ],
  });
  if (decision.keyCounters.size > 0) {
    const keyCounters = [...decision.keyCounters.values()];
    await client.query({
      name: 'tollgate_write_key_counters',
      text: writeKeyCounters,
      values: [
        keyCounters.map((counter) => counter.keyId),
        keyCounters.map((counter) => counter.periodStart),
        keyCounters.map((counter) => counter.customerId),
        keyCounters.map((counter) => counter.used),
      ],
    });
  }
  if (decision.reservations.length > 0) await writeReservations(client, decision.reservations, recordedAt);
  const outbox = overageWindows(decision.events, meterWindowMs);
  if (outbox.length > 0) {
    await client.query({
      name: 'tollgate_add_to_meter_outbox',
      text: addToOutbox,
      values: [
        outbox.map((window) => window.customerId),
        outbox.map((window) => window.meter),
        outbox.map((window) => window.windowStart),
        outbox.map((window) => window.windowEnd),
        outbox.map((window) => window.value),
      ],
    });
  }
  return decision.outcomes;
}

/** The credit usage of the batch's limited keys, by `keyCounterKey`; undefined when it has none. */
async function readKeyCounters(
  client: pg.PoolClient,
  debits: readonly UsageDebit[],
): Promise<Map<string, number> | undefined> {
  const keys = new Map<string, { keyId: string; periodStart: number; customerId: string }>();
  for (const debit of debits) {
    if (debit.keyLimit === undefined || !debit.keyId) continue;
    const key = keyCounterKey(debit.keyId, debit.periodStart);
    if (!keys.has(key))
      keys.set(key, { keyId: debit.keyId, periodStart: debit.periodStart, customerId: debit.customerId });
  }
  if (keys.size === 0) return undefined;
  const rows = [...keys.values()];
  const result = await client.query<{ key_id: string; period_start: string; used: string }>({
    name: 'tollgate_select_key_counters',
    text: selectKeyCounters,
    values: [
      rows.map((row) => row.keyId),
      rows.map((row) => row.periodStart),
      rows.map((row) => row.customerId),
    ],
  });
  const used = new Map<string, number>();
  for (const row of result.rows) {
    used.set(keyCounterKey(row.key_id, Number(row.period_start)), Number(row.used));
  }
  return used;
}

/** The batch's (customer, period) pairs, once each, in the one order every batch locks them in. */
function distinctCounterKeys(debits: readonly UsageDebit[]): {
  customerIds: string[];
  periodStarts: number[];
} {
  const pairs = new Map<string, { customerId: string; periodStart: number }>();
  for (const debit of debits) {
    const key = counterKey(debit.customerId, debit.periodStart);
    if (!pairs.has(key)) pairs.set(key, { customerId: debit.customerId, periodStart: debit.periodStart });
  }
  const sorted = [...pairs.values()].sort((a, b) =>
    a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.periodStart - b.periodStart,
  );
  return {
    customerIds: sorted.map((pair) => pair.customerId),
    periodStarts: sorted.map((pair) => pair.periodStart),
  };
}

interface WindowKeys {
  customerIds: string[];
  operations: string[];
  windows: string[];
  starts: number[];
}

/** The batch's operation window counters, once each and sorted (the lock order); null when it has none. */
function distinctWindowKeys(debits: readonly UsageDebit[]): WindowKeys | null {
  const keys = new Map<string, { customerId: string; operation: string; window: string; start: number }>();
  for (const debit of debits) {
    if (debit.windows === undefined) continue;
    for (const { window, start } of debit.windows) {
      const key = windowCounterKey(debit.customerId, debit.operation, window, start);
      if (!keys.has(key))
        keys.set(key, { customerId: debit.customerId, operation: debit.operation, window, start });
    }
  }
  if (keys.size === 0) return null;
  const sorted = [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, key]) => key);
  return {
    customerIds: sorted.map((key) => key.customerId),
    operations: sorted.map((key) => key.operation),
    windows: sorted.map((key) => key.window),
    starts: sorted.map((key) => key.start),
  };
}

function distinctIdempotencyScopes(debits: readonly UsageDebit[]): { customerIds: string[]; keys: string[] } {
  const seen = new Set<string>();
  const customerIds: string[] = [];
  const keys: string[] = [];
  for (const debit of debits) {
    if (debit.idempotencyKey === null) continue;
    const scope = idempotencyScope(debit.customerId, debit.idempotencyKey);
    if (seen.has(scope)) continue;
    seen.add(scope);
    customerIds.push(debit.customerId);
    keys.push(debit.idempotencyKey);
  }
  return { customerIds, keys };
}

/**
 * Keyed events go in a fixed order, so two batches inserting the same keys (for one customer under
 * different periods, where the counter locks do not serialize them) wait in the same order, never
 * in a cycle.
 */
function byIdempotencyScope(a: UsageEvent, b: UsageEvent): number {
  if (a.idempotencyKey === null || b.idempotencyKey === null) {
    return a.idempotencyKey === b.idempotencyKey ? 0 : a.idempotencyKey === null ? 1 : -1;
  }
  const left = idempotencyScope(a.customerId, a.idempotencyKey);
  const right = idempotencyScope(b.customerId, b.idempotencyKey);
  return left < right ? -1 : left > right ? 1 : 0;
}
