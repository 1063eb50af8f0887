/**
 * The reservations' part of the PostgreSQL exact path (postgres-exact-commit.ts), inside its transaction:
 * dropping the expired holds of the counters it locked before it decides, then writing the
 * reservations the batch made (with their holds) and closing those it settled or released.
 */
import type pg from 'pg';
import {
  type CounterState,
  counterKey,
  type ReservationChange,
  type WindowCounter,
  windowCounterKey,
} from '../core/ledger/decide-debits.js';
import type { UsageDebit, WindowUsage } from '../core/ports.js';
import { CREDIT_HOLD, closedReservations, newReservationRows } from './reservation-rows.js';

// holds of the locked counters are dropped before deciding (after the locks, so no batch adds a hold
// to these counters meanwhile); the counters' `held` is written back with the batch.
const dropExpiredHolds = `
  WITH expired AS (
    DELETE FROM reservation_holds AS h
    USING unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS k(customer_id, operation, window_name, window_start)
    WHERE h.customer_id = k.customer_id AND h.operation = k.operation AND h.window_name = k.window_name
      AND h.window_start = k.window_start AND h.expires_at <= $5
    RETURNING h.customer_id, h.operation, h.window_name, h.window_start, h.amount)
  SELECT customer_id, operation, window_name, window_start, sum(amount)::bigint AS amount
  FROM expired GROUP BY customer_id, operation, window_name, window_start`;

const insertReservations = `
  INSERT INTO reservations (id, customer_id, operation, quantity, cost, period_start, credit_limit, included,
    windows, status, expires_at, created_at)
  SELECT r.id, r.customer_id, r.operation, r.quantity, r.cost, r.period_start, r.credit_limit, r.included,
    r.windows, 'held', r.expires_at, $11
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
    $8::bigint[], $9::text[], $10::bigint[])
    AS r(id, customer_id, operation, quantity, cost, period_start, credit_limit, included, windows, expires_at)`;

const insertHolds = `
  INSERT INTO reservation_holds (reservation_id, customer_id, operation, window_name, window_start, amount, expires_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])`;

const closeReservations = `
  WITH closed AS (
    UPDATE reservations AS r SET status = c.status, settled_quantity = c.quantity, event_id = c.event_id,
      closed_at = $5
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS c(id, status, quantity, event_id)
    WHERE r.id = c.id
    RETURNING r.id)
  DELETE FROM reservation_holds WHERE reservation_id IN (SELECT id FROM closed)`;

/**
 * Drops the expired holds of the locked counters that have any, taking them off `held` in `current`
 * and `currentWindows`; returns those counters (to write back), or null when none changed.
 */
export async function dropExpired(
  client: pg.PoolClient,
  debits: readonly UsageDebit[],
  current: Map<string, CounterState>,
  currentWindows: Map<string, WindowUsage>,
  now: number,
): Promise<{
  counters: Map<string, CounterState & { customerId: string; periodStart: number }>;
  windows: Map<string, WindowCounter>;
} | null> {
  const keys: Array<{ customerId: string; operation: string; window: string; start: number }> = [];
  const seen = new Set<string>();
  for (const debit of debits) {
    const key = counterKey(debit.customerId, debit.periodStart);
    if (!seen.has(key) && (current.get(key)?.held ?? 0) > 0) {
      keys.push({ customerId: debit.customerId, ...CREDIT_HOLD, start: debit.periodStart });
    }
    seen.add(key);
    for (const { window, start } of debit.windows ?? []) {
      const windowKey = windowCounterKey(debit.customerId, debit.operation, window, start);
      if (!seen.has(windowKey) && (currentWindows.get(windowKey)?.held ?? 0) > 0) {
        keys.push({ customerId: debit.customerId, operation: debit.operation, window, start });
      }
      seen.add(windowKey);
    }
  }
  if (keys.length === 0) return null;
  const result = await client.query<{
    customer_id: string;
    operation: string;
    window_name: WindowCounter['window'] | 'credits';
    window_start: number;
    amount: number;
  }>({
    name: 'tollgate_drop_expired_holds',
    text: dropExpiredHolds,
    values: [
      keys.map((key) => key.customerId),
      keys.map((key) => key.operation),
      keys.map((key) => key.window),
      keys.map((key) => key.start),
      now,
    ],
  });
  if (result.rows.length === 0) return null;
  const counters = new Map<string, CounterState & { customerId: string; periodStart: number }>();
  const windows = new Map<string, WindowCounter>();
  for (const row of result.rows) {
    const start = Number(row.window_start);
    const amount = Number(row.amount);
    if (row.window_name === 'credits') {
      const key = counterKey(row.customer_id, start);
      const state = current.get(key) ?? { used: 0, overage: 0 };
      const live = { ...state, held: (state.held ?? 0) - amount };
      current.set(key, live);
      counters.set(key, { customerId: row.customer_id, periodStart: start, ...live });
    } else {
      const key = windowCounterKey(row.customer_id, row.operation, row.window_name, start);
      const state = currentWindows.get(key) ?? { used: 0, overage: 0 };
      const live = { ...state, held: (state.held ?? 0) - amount };
      currentWindows.set(key, live);
      windows.set(key, {
        customerId: row.customer_id,
        operation: row.operation,
        window: row.window_name,
        start,
        used: live.used,
        overage: live.overage,
        held: live.held,
      });
    }
  }
  return { counters, windows };
}

/** Writes the reservations a batch made (with their holds) and closes those it settled or released. */
export async function writeReservations(
  client: pg.PoolClient,
  changes: readonly ReservationChange[],
  recordedAt: number,
): Promise<void> {
  const made = newReservationRows(changes, recordedAt);
  if (made.reservations.length > 0) {
    const rows = made.reservations;
    await client.query({
      name: 'tollgate_insert_reservations',
      text: insertReservations,
      values: [
        rows.map((row) => row.id),
        rows.map((row) => row.customerId),
        rows.map((row) => row.operation),
        rows.map((row) => row.quantity),
        rows.map((row) => row.cost),
        rows.map((row) => row.periodStart),
        rows.map((row) => row.limit),
        rows.map((row) => row.included),
        rows.map((row) => row.windows),
        rows.map((row) => row.expiresAt),
        recordedAt,
      ],
    });
    const holds = made.holds;
    await client.query({
      name: 'tollgate_insert_holds',
      text: insertHolds,
      values: [
        holds.map((hold) => hold.reservationId),
        holds.map((hold) => hold.customerId),
        holds.map((hold) => hold.operation),
        holds.map((hold) => hold.window),
        holds.map((hold) => hold.start),
        holds.map((hold) => hold.amount),
        holds.map((hold) => hold.expiresAt),
      ],
    });
  }
  const closed = closedReservations(changes);
  if (closed.length > 0) {
    await client.query({
      name: 'tollgate_close_reservations',
      text: closeReservations,
      values: [
        closed.map((row) => row.id),
        closed.map((row) => row.status),
        closed.map((row) => row.quantity),
        closed.map((row) => row.eventId),
        recordedAt,
      ],
    });
  }
}
