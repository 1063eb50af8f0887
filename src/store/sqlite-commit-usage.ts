/**
 * The SQLite hot path: one group-commit batch of debits in one IMMEDIATE transaction, with
 * better-sqlite3 prepared statements called directly. Kysely would compile and prepare every
 * statement again and go through a promise per row; here a batch of 1,000 debits is ~2,000 calls of
 * a few microseconds each, synchronously, with no await between the lock and the commit.
 *
 * BEGIN IMMEDIATE takes the database's write lock before reading the counters, so no other process
 * can change them between the read and the write; busy_timeout makes other writers wait for it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { canonicalMetadata } from '../core/gate/event-metadata.js';
import {
  type CounterState,
  counterKey,
  decideDebits,
  type HeldReservation,
  idempotencyScope,
  type KnownEvent,
  keyCounterKey,
  windowCounterKey,
} from '../core/ledger/decide-debits.js';
import type { UsageDebit, UsageEvent, UsageOutcome, WindowUsage } from '../core/ports.js';
import { batchEventIds } from './event-ids.js';
import { DEFAULT_METER_WINDOW_MS, overageWindows } from './meter-windows.js';
import {
  CREDIT_HOLD,
  closedReservations,
  heldReservation,
  newReservationRows,
  reservationIds,
} from './reservation-rows.js';
import { customerEvents } from './sqlite-usage-reads.js';

interface CounterRow {
  used: number;
  overage: number;
  held: number;
}

interface KnownRow {
  id: string;
  request_hash: string | null;
  used_after: number;
  overage: number;
}

/** Counters cached at most (customers x periods); past it the cache starts over. */
const COUNTER_CACHE_LIMIT = 100_000;

/** Rows per multi-row INSERT (14 parameters each; SQLite allows 32,766 per statement). */
const EVENT_ROWS = 64;

export type CommitUsage = (debits: readonly UsageDebit[], recordedAt: number) => UsageOutcome[];

/**
 * Prepares the statements (the tables must exist) and returns a synchronous commit function.
 * @param meterWindowMs length of the meter-outbox windows that admitted overage is added to
 */
export function createSqliteCommitUsage(
  database: BetterSqlite3.Database,
  meterWindowMs: number = DEFAULT_METER_WINDOW_MS,
): CommitUsage {
  const selectCounter = database.prepare<[string, number], CounterRow>(
    'SELECT used, overage, held FROM usage_counters WHERE customer_id = ? AND period_start = ?',
  );
  const selectKnown = database.prepare<[string, string], KnownRow>(
    'SELECT id, request_hash, used_after, overage FROM usage_events WHERE customer_id = ? AND idempotency_key = ?',
  );
  const upsertCounter = database.prepare<[string, number, number, number, number]>(
    `INSERT INTO usage_counters (customer_id, period_start, used, overage, held) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (customer_id, period_start)
     DO UPDATE SET used = excluded.used, overage = excluded.overage, held = excluded.held`,
  );
  const selectWindow = database.prepare<[string, string, string, number], CounterRow>(
    `SELECT used, overage, held FROM operation_counters
     WHERE customer_id = ? AND operation = ? AND window_name = ? AND window_start = ?`,
  );
  const upsertWindow = database.prepare<[string, string, string, number, number, number, number]>(
    `INSERT INTO operation_counters (customer_id, operation, window_name, window_start, used, overage, held)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (customer_id, operation, window_name, window_start)
     DO UPDATE SET used = excluded.used, overage = excluded.overage, held = excluded.held`,
  );
  // Limited keys (migration 012): only debits with a `keyLimit` read these. A key's first debit of a
  // period counts what its events of the period already cost (a limit set mid-period starts there).
  const selectKeyCounter = database
    .prepare<[string, number], number>('SELECT used FROM key_counters WHERE key_id = ? AND period_start = ?')
    .pluck();
  // The key's events: indexed ones through usage_event_index, the tail by seq (sqlite-usage-reads.ts).
  const sumKeyEvents = database
    .prepare<[{ customer: string; period: number; key: string }], number>(
      `SELECT coalesce(sum(cost), 0) FROM (${customerEvents(
        ['cost'],
        'e.period_start = @period AND e.recorded_at >= @period AND e.key_id = @key',
        'AND i.recorded_at >= @period',
      )})`,
    )
    .pluck();
  const upsertKeyCounter = database.prepare<[string, number, string, number]>(
    `INSERT INTO key_counters (key_id, period_start, customer_id, used) VALUES (?, ?, ?, ?)
     ON CONFLICT (key_id, period_start) DO UPDATE SET used = excluded.used`,
  );
  // Reservations (migration 007): only batches that meet a hold or a reservation run these.
  const dropExpiredHolds = database
    .prepare<[string, string, string, number, number], number>(
      `DELETE FROM reservation_holds
     WHERE customer_id = ? AND operation = ? AND window_name = ? AND window_start = ? AND expires_at <= ?
     RETURNING amount`,
    )
    .pluck();
  const selectReservation = database.prepare<
    [string],
    { status: string; cost: number; quantity: number; expires_at: number }
  >('SELECT status, cost, quantity, expires_at FROM reservations WHERE id = ?');
  const insertReservation = database.prepare<
    [string, string, string, number, number, number, number | null, number | null, string, number, number]
  >(
    `INSERT INTO reservations (id, customer_id, operation, quantity, cost, period_start, credit_limit, included,
       windows, status, expires_at, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?)`,
  );
  const insertHold = database.prepare<[string, string, string, string, number, number, number]>(
    `INSERT INTO reservation_holds (reservation_id, customer_id, operation, window_name, window_start, amount, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const closeReservation = database.prepare<[string, number | null, string | null, number, string]>(
    'UPDATE reservations SET status = ?, settled_quantity = ?, event_id = ?, closed_at = ? WHERE id = ?',
  );
  const deleteHolds = database.prepare<[string]>('DELETE FROM reservation_holds WHERE reservation_id = ?');
  /** Takes a counter's expired holds off its `held` (the row is under the write lock). */
  const withoutExpiredHolds = (
    row: CounterRow,
    key: [customerId: string, operation: string, window: string, start: number],
    now: number,
  ): CounterRow => {
    if (!row.held) return row;
    let expired = 0;
    for (const amount of dropExpiredHolds.all(...key, now)) expired += Number(amount);
    return expired === 0 ? row : { ...row, held: row.held - expired };
  };
  // Events go in EVENT_ROWS at a time: one statement step per chunk instead of per row.
  const insertEvents = new Map<number, BetterSqlite3.Statement<unknown[]>>();
  const insertStatement = (rows: number): BetterSqlite3.Statement<unknown[]> => {
    let statement = insertEvents.get(rows);
    if (statement === undefined) {
      statement = database.prepare<unknown[]>(
        `INSERT INTO usage_events (id, customer_id, period_start, operation, quantity, cost, overage, used_after,
           idempotency_key, request_hash, occurred_at, recorded_at, metadata, key_id)
         VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      );
      insertEvents.set(rows, statement);
    }
    return statement;
  };
  const parameters: unknown[] = [];
  // Counters this connection wrote last, valid while no other connection has committed since:
  // data_version changes exactly then. Only commitUsage writes usage_counters and operation_counters
  // on this connection. Both kinds share the cache: their keys have different numbers of parts.
  const dataVersion = database.prepare<[], number>('PRAGMA data_version').pluck();
  const counterCache = new Map<string, CounterRow>();
  let cachedVersion = -1;
  let written: Map<string, CounterState> | undefined;
  let writtenWindows: Map<string, WindowUsage> | undefined;
  // Counters whose expired holds a batch dropped (their cached rows are stale once it commits).
  let cleaned: string[] | undefined;
  // Usage added to a window already reported reopens it: the sender reports the rest under a new identifier.
  const addToOutbox = database.prepare<[string, string, number, number, number]>(
    `INSERT INTO meter_outbox (customer_id, meter, window_start, window_end, value) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (customer_id, meter, window_start)
     DO UPDATE SET value = meter_outbox.value + excluded.value, status = 'pending'`,
  );

  const commit = database.transaction((debits: readonly UsageDebit[], recordedAt: number): UsageOutcome[] => {
    const version = dataVersion.get();
    if (version !== cachedVersion || counterCache.size > COUNTER_CACHE_LIMIT) {
      counterCache.clear();
      cachedVersion = version ?? -1;
    }
    const current = new Map<string, CounterState>();
    const currentWindows = new Map<string, WindowUsage>();
    cleaned = undefined;
    const known = new Map<string, KnownEvent>();
    const looked = new Set<string>();
    let currentKeys: Map<string, number> | undefined;
    for (const debit of debits) {
      if (debit.keyLimit !== undefined && debit.keyId) {
        currentKeys ??= new Map();
        const keyKey = keyCounterKey(debit.keyId, debit.periodStart);
        if (!currentKeys.has(keyKey)) {
          const used =
            selectKeyCounter.get(debit.keyId, debit.periodStart) ??
            sumKeyEvents.get({ customer: debit.customerId, period: debit.periodStart, key: debit.keyId }) ??
            0;
          currentKeys.set(keyKey, Number(used));
        }
      }
      const key = counterKey(debit.customerId, debit.periodStart);
      if (!current.has(key)) {
        const row = counterCache.get(key) ??
          selectCounter.get(debit.customerId, debit.periodStart) ?? { used: 0, overage: 0, held: 0 };
        const live = withoutExpiredHolds(
          row,
          [debit.customerId, CREDIT_HOLD.operation, CREDIT_HOLD.window, debit.periodStart],
          recordedAt,
        );
        if (live !== row) {
          upsertCounter.run(debit.customerId, debit.periodStart, live.used, live.overage, live.held);
          cleaned = [...(cleaned ?? []), key];
        }
        current.set(key, live);
      }
      if (debit.windows !== undefined) {
        for (const { window, start } of debit.windows) {
          const windowKey = windowCounterKey(debit.customerId, debit.operation, window, start);
          if (currentWindows.has(windowKey)) continue;
          const row = counterCache.get(windowKey) ??
            selectWindow.get(debit.customerId, debit.operation, window, start) ?? {
              used: 0,
              overage: 0,
              held: 0,
            };
          const live = withoutExpiredHolds(
            row,
            [debit.customerId, debit.operation, window, start],
            recordedAt,
          );
          if (live !== row) {
            upsertWindow.run(
              debit.customerId,
              debit.operation,
              window,
              start,
              live.used,
              live.overage,
              live.held,
            );
            cleaned = [...(cleaned ?? []), windowKey];
          }
          currentWindows.set(windowKey, live);
        }
      }
      if (debit.idempotencyKey === null) continue;
      const scope = idempotencyScope(debit.customerId, debit.idempotencyKey);
      if (looked.has(scope)) continue;
      looked.add(scope);
      const row = selectKnown.get(debit.customerId, debit.idempotencyKey);
      if (row !== undefined) {
        known.set(scope, {
          eventId: row.id,
          requestHash: row.request_hash,
          usedAfter: row.used_after,
          overage: row.overage,
        });
      }
    }

    const reservations = new Map<string, HeldReservation>();
    for (const id of reservationIds(debits)) {
      const row = selectReservation.get(id);
      if (row === undefined) continue;
      reservations.set(id, heldReservation(row, recordedAt));
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
    written = decision.counters;
    for (const counter of decision.keyCounters.values()) {
      upsertKeyCounter.run(counter.keyId, counter.periodStart, counter.customerId, counter.used);
    }
    writtenWindows = decision.windows;
    for (const counter of decision.counters.values()) {
      upsertCounter.run(
        counter.customerId,
        counter.periodStart,
        counter.used,
        counter.overage,
        counter.held ?? 0,
      );
    }
    for (const counter of decision.windows.values()) {
      upsertWindow.run(
        counter.customerId,
        counter.operation,
        counter.window,
        counter.start,
        counter.used,
        counter.overage,
        counter.held ?? 0,
      );
    }
    if (decision.reservations.length > 0) {
      const made = newReservationRows(decision.reservations, recordedAt);
      for (const row of made.reservations) {
        insertReservation.run(
          row.id,
          row.customerId,
          row.operation,
          row.quantity,
          row.cost,
          row.periodStart,
          row.limit,
          row.included,
          row.windows,
          row.expiresAt,
          row.createdAt,
        );
      }
      for (const hold of made.holds) {
        insertHold.run(
          hold.reservationId,
          hold.customerId,
          hold.operation,
          hold.window,
          hold.start,
          hold.amount,
          hold.expiresAt,
        );
      }
      for (const closed of closedReservations(decision.reservations)) {
        closeReservation.run(closed.status, closed.quantity, closed.eventId, recordedAt, closed.id);
        deleteHolds.run(closed.id);
      }
    }
    const events = decision.events;
    for (let start = 0; start < events.length; start += EVENT_ROWS) {
      const end = Math.min(events.length, start + EVENT_ROWS);
      parameters.length = 0;
      for (let index = start; index < end; index++) {
        const event = events[index] as UsageEvent;
        parameters.push(
          event.id,
          event.customerId,
          event.periodStart,
          event.operation,
          event.quantity,
          event.cost,
          event.overage,
          event.usedAfter,
          event.idempotencyKey,
          event.requestHash,
          event.occurredAt,
          event.recordedAt,
          canonicalMetadata(event.metadata),
          event.keyId ?? null,
        );
      }
      insertStatement(end - start).run(parameters);
    }
    for (const window of overageWindows(decision.events, meterWindowMs)) {
      addToOutbox.run(window.customerId, window.meter, window.windowStart, window.windowEnd, window.value);
    }
    return decision.outcomes;
  });

  return (debits, recordedAt) => {
    written = undefined;
    writtenWindows = undefined;
    let outcomes: UsageOutcome[];
    try {
      outcomes = commit.immediate(debits, recordedAt);
    } catch (error) {
      counterCache.clear();
      throw error;
    }
    // Committed: these are now the stored values (decideDebits returns fresh objects).
    for (const key of (cleaned as string[] | undefined) ?? []) counterCache.delete(key);
    const committed = written as Map<string, CounterState> | undefined;
    if (committed !== undefined) {
      for (const [key, counter] of committed)
        counterCache.set(key, { used: counter.used, overage: counter.overage, held: counter.held ?? 0 });
    }
    const committedWindows = writtenWindows as Map<string, WindowUsage> | undefined;
    if (committedWindows !== undefined) {
      for (const [key, counter] of committedWindows)
        counterCache.set(key, { used: counter.used, overage: counter.overage, held: counter.held ?? 0 });
    }
    return outcomes;
  };
}
