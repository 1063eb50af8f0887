/**
 * The PostgreSQL exact path (docs/decisions/002 and 017): one transaction deciding a batch under its
 * counter rows' locks, in a fixed number of round trips whatever the batch size. It uses a pg client
 * from the store's pool directly: Kysely would add a compile per statement and cannot express these
 * array statements (postgres-exact-statements.ts) more clearly.
 *
 * Order inside the transaction, and why:
 *  1. delete the batch counters' expired quota leases (and leases this instance hands back), then
 *     create the missing counter rows and lock every counter row of the batch, in one statement; from
 *     here no other transaction can admit usage for these (customer, period) pairs until we commit,
 *     and `leased` (what live leases hold) is counted as taken. The pairs go in one fixed order
 *     (sorted in JS), so two batches never wait on each other in a cycle. When the decision (4) would
 *     refuse a debit that the units held by live leases could admit, or bill as overage what they
 *     hold of the included quota, the transaction is rolled back before writing anything and runs
 *     again with those customers' leases reclaimed in this first statement (all of them, other
 *     instances' too): refusals and overage are decided with nothing leased, so leases never make
 *     the exact path under-admit or over-bill (a holder whose lease is gone fails over to the exact
 *     path, docs/decisions/017);
 *  2. lock the operation window counters the same way, when the batch has any;
 *  3. read the events already stored for the batch's idempotency keys (after the locks, so a batch
 *     that committed the same key just before us is visible);
 *  4. decide with `decideDebits` (core), then insert the events and write the counters in one statement.
 * A key stored concurrently for the same customer under another period is not covered by our locks:
 * our insert then fails on the unique index once the other batch commits, and the whole batch runs
 * again, now seeing that event as known (a replay or a conflict). A plain INSERT with this rare retry
 * is ~15% cheaper per row than ON CONFLICT DO NOTHING, which checks every unique index first.
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
import type { UsageDebit, UsageOutcome, WindowUsage } from '../core/ports.js';
import { batchEventIds } from './event-ids.js';
import { overageWindows } from './meter-windows.js';
import {
  byIdempotencyScope,
  distinctCounterKeys,
  distinctIdempotencyScopes,
  distinctWindowKeys,
  type WindowKeys,
} from './postgres-batch-keys.js';
import {
  addToOutbox,
  lockCounters,
  lockWindows,
  selectKeyCounters,
  selectKnownEvents,
  selectReservations,
  writeEventsAndCounters,
  writeEventsCountersAndWindows,
  writeKeyCounters,
} from './postgres-exact-statements.js';
import { LeasesInTheWay, leasesInTheWay } from './postgres-lease-reclaim.js';
import { dropExpired, writeReservations } from './postgres-reservation-writes.js';
import { heldReservation, reservationIds } from './reservation-rows.js';

/**
 * The transaction was rolled back and may simply run again: a unique violation (an idempotency key
 * committed concurrently under another period), a deadlock or a serialization failure.
 */
export const retryableCodes = new Set(['23505', '40P01', '40001']);
const maxAttempts = 5;
/** Attempts that reclaim leases, on top of the others: a lease granted between a reclaim and the lock. */
const maxReclaims = 3;

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
 * The exact path: one transaction deciding under the counter rows' locks.
 * @param returns ids of this instance's leases to delete in its first statement
 * @param alsoWrite runs inside the transaction after the exact debits are written (a mixed batch's
 * lease statement)
 */
export async function commitExactly(
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
  let reclaim: string[] = [];
  let reclaims = 0;
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
          reclaim,
          reclaims < maxReclaims,
        );
        if (alsoWrite !== undefined) await alsoWrite(client);
        await client.query('COMMIT');
        return outcomes;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        if (error instanceof LeasesInTheWay) {
          // Nothing was wrong with the batch: a failed ROLLBACK is the fault to report.
          if (broken !== undefined) throw broken;
          reclaim = error.customerIds;
          reclaims += 1;
          attempt -= 1;
          continue;
        }
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
  reclaim: readonly string[],
  mayReclaim: boolean,
): Promise<UsageOutcome[]> {
  const current = new Map<string, CounterState>();
  const currentWindows = new Map<string, WindowUsage>();
  const locked = await client.query<CounterRow>({
    name: 'tollgate_lock_counters',
    text: lockCounters,
    values: [pairs.customerIds, pairs.periodStarts, recordedAt, returns, reclaim],
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

  const decide = (counters: ReadonlyMap<string, CounterState>) =>
    decideDebits(
      debits,
      counters,
      known,
      recordedAt,
      batchEventIds(),
      currentWindows,
      reservations,
      currentKeys,
    );
  const decision = decide(current);
  if (mayReclaim) {
    const customerIds = leasesInTheWay(debits, decision.outcomes, current, decide);
    if (customerIds !== null) throw new LeasesInTheWay(customerIds);
  }
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
