/**
 * The lease path of a PostgreSQL batch (docs/decisions/017): which debits this instance decides
 * against its own quota leases, and the ONE statement that writes them. No BEGIN or COMMIT: a single
 * statement is atomic, so its data-modifying CTEs (lease rows, counter rows, events) commit together
 * or not at all.
 *
 * Eligible: a credit debit with a limit, a cost, no operation windows, reservation, key limit or
 * idempotency key; it spends from a lease granted under its ceiling (the smaller of its limit and its
 * included quota), so no leased event is ever overage. An unlimited debit (no limit, no included
 * quota) with the same restrictions needs no lease, only the write. Everything else, and every debit
 * that fits no lease, takes the exact path (postgres-exact-commit.ts).
 */
import type pg from 'pg';
import { canonicalMetadata } from '../core/gate/event-metadata.js';
import { counterKey } from '../core/ledger/decide-debits.js';
import type { UsageDebit, UsageOutcome } from '../core/ports.js';
import { batchEventIds } from './event-ids.js';
import type { Lease, QuotaLeases } from './postgres-quota-leases.js';

/** What a batch does on the lease path, decided before any write. */
export interface LeasePlan {
  /** Indexes of the debits the lease path records, in batch order. */
  admitted: number[];
  /** Lease (or null for an unlimited debit) of each admitted debit, by index. */
  routes: Map<number, Lease | null>;
  /** Milli-credits each lease spends. */
  spends: Map<Lease, number>;
  /** Indexes of the debits for the exact path, in batch order. */
  exact: number[];
  /** This instance's leases the exact path deletes (their leftover fits none of the batch's debits). */
  returns: string[];
}

/** The ceiling a lease for this debit is granted under, or null when it takes the exact path. */
function leaseCeiling(debit: UsageDebit): number | null | 'unlimited' {
  if (
    debit.idempotencyKey !== null ||
    debit.reservation !== undefined ||
    debit.keyLimit !== undefined ||
    (debit.windows !== undefined && debit.windows.length > 0)
  ) {
    return null;
  }
  if (debit.limit === null) return debit.included === null ? 'unlimited' : null;
  if (debit.cost <= 0) return null;
  return debit.included === null ? debit.limit : Math.min(debit.limit, debit.included);
}

/**
 * Decides which debits spend from this instance's leases, taking new leases (one round trip for all
 * the batch's counters) for counters whose lease is missing or too small. Units are promised before
 * the first await, so concurrent batches of the instance never promise one unit twice.
 */
export async function planLeaseDebits(
  leases: QuotaLeases,
  debits: readonly UsageDebit[],
  now: number,
): Promise<LeasePlan> {
  const routes = new Map<number, Lease | null>();
  const missed: number[] = [];
  const wanted = new Map<string, { debit: UsageDebit; ceiling: number; debits: number }>();
  debits.forEach((debit, index) => {
    const ceiling = leaseCeiling(debit);
    if (ceiling === null) return;
    const key = counterKey(debit.customerId, debit.periodStart);
    if (ceiling === 'unlimited') {
      routes.set(index, null);
      return;
    }
    const lease = leases.spend(key, ceiling, debit.cost, now);
    if (lease !== undefined) routes.set(index, lease);
    else {
      missed.push(index);
      const want = wanted.get(key);
      if (want === undefined) wanted.set(key, { debit, ceiling, debits: 1 });
      else want.debits += 1;
    }
  });
  if (wanted.size > 0) {
    await leases.take(
      [...wanted.values()].map(({ debit, ceiling, debits }) => ({
        customerId: debit.customerId,
        periodStart: debit.periodStart,
        ceiling,
        unit: debit.cost,
        debits,
      })),
      now,
    );
    for (const index of missed) {
      const debit = debits[index] as UsageDebit;
      const ceiling = leaseCeiling(debit) as number;
      const lease = leases.spend(counterKey(debit.customerId, debit.periodStart), ceiling, debit.cost, now);
      if (lease !== undefined) routes.set(index, lease);
    }
  }

  // A counter is written by one path per batch: when any of its debits takes the exact path, all of
  // them do (units promised to the others go back to the lease), so its events keep the batch's order
  // and the exact decision sees the counter as the core rule would. This instance's lease on it is
  // handed over to the exact path's first statement, which returns what is left of it to the counter
  // (unless a concurrent write of this instance is still spending from it).
  // (A counter with both unlimited debits and lease spends, which the statement would write twice,
  // goes to the exact path too.)
  const exactCounters = new Set<string>();
  const unlimited = new Set<string>();
  const spending = new Set<string>();
  debits.forEach((debit, index) => {
    const key = counterKey(debit.customerId, debit.periodStart);
    const route = routes.get(index);
    if (route === undefined) exactCounters.add(key);
    else (route === null ? unlimited : spending).add(key);
  });
  for (const key of unlimited) if (spending.has(key)) exactCounters.add(key);
  const spends = new Map<Lease, number>();
  const admitted: number[] = [];
  const exact: number[] = [];
  debits.forEach((debit, index) => {
    const route = routes.get(index);
    if (route === undefined || exactCounters.has(counterKey(debit.customerId, debit.periodStart))) {
      if (route) route.remaining += debit.cost;
      routes.delete(index);
      exact.push(index);
      return;
    }
    admitted.push(index);
    if (route !== null) spends.set(route, (spends.get(route) ?? 0) + debit.cost);
  });
  const returns: string[] = [];
  for (const key of exactCounters) {
    if ((leases.holds(key)?.inFlight ?? 1) === 0) returns.push(leases.handOver(key) as string);
  }
  for (const lease of spends.keys()) lease.inFlight += 1;
  return { admitted, routes, spends, exact, returns };
}

// Lease rows are updated first (the counter update reads their output), then the counters, then
// the events, whose `used_after` comes from the counter each one moved, in batch order. The last
// SELECT calls tollgate_leases_lost once whatever the rest returns: when a lease was reclaimed or
// expired, it raises and the whole statement (events and counters too) rolls back.
const writeLeaseDebitsStatement = `
  WITH spend AS (
    UPDATE quota_leases AS l
    SET remaining = l.remaining - s.spent, expires_at = greatest(l.expires_at, $4::bigint)
    FROM unnest($1::text[], $2::bigint[]) AS s(id, spent)
    WHERE l.id = s.id AND l.expires_at > $3::bigint AND l.remaining >= s.spent
    RETURNING l.customer_id, l.period_start, s.spent
  ), leased AS (
    UPDATE usage_counters AS c SET used = c.used + s.spent, leased = c.leased - s.spent
    FROM spend AS s
    WHERE c.customer_id = s.customer_id AND c.period_start = s.period_start
    RETURNING c.customer_id, c.period_start, c.used
  ), unlimited AS (
    INSERT INTO usage_counters AS c (customer_id, period_start, used, overage)
    SELECT u.customer_id, u.period_start, u.used, 0
    FROM unnest($5::text[], $6::bigint[], $7::bigint[]) AS u(customer_id, period_start, used)
    ON CONFLICT (customer_id, period_start) DO UPDATE SET used = c.used + excluded.used
    RETURNING c.customer_id, c.period_start, c.used
  ), counters AS (
    SELECT * FROM leased UNION ALL SELECT * FROM unlimited
  ), inserted AS (
    INSERT INTO usage_events (id, customer_id, period_start, operation, quantity, cost, overage, used_after,
      idempotency_key, request_hash, occurred_at, recorded_at, metadata, key_id)
    SELECT e.id, e.customer_id, e.period_start, e.operation, e.quantity, e.cost, 0, c.used + e.offset_after,
      NULL, e.request_hash, e.occurred_at, $8::bigint, e.metadata, e.key_id
    FROM unnest($9::text[], $10::text[], $11::bigint[], $12::text[], $13::bigint[], $14::bigint[],
      $15::bigint[], $16::text[], $17::bigint[], $18::text[], $19::text[])
      AS e(id, customer_id, period_start, operation, quantity, cost, offset_after, request_hash, occurred_at,
        metadata, key_id)
    JOIN counters AS c ON c.customer_id = e.customer_id AND c.period_start = e.period_start
  )
  SELECT customer_id, period_start, used FROM counters
  UNION ALL
  SELECT NULL, NULL, NULL WHERE tollgate_leases_lost($20::bigint, (SELECT count(*) FROM spend))`;

/** The SQLSTATE tollgate_leases_lost raises with (migration 014). */
export const LEASE_LOST = 'TGL01';

/**
 * Writes the plan's admitted debits in one statement and answers their outcomes by index. Throws
 * the driver's error when it fails (LEASE_LOST when a lease was reclaimed); then nothing was written.
 */
export async function writeLeaseDebits(
  client: pg.Pool | pg.PoolClient,
  debits: readonly UsageDebit[],
  plan: LeasePlan,
  recordedAt: number,
  ttlMs: number,
): Promise<Map<number, UsageOutcome>> {
  const totals = new Map<string, number>();
  const unlimited = new Map<string, { customerId: string; periodStart: number; used: number }>();
  const prefix: number[] = [];
  for (const index of plan.admitted) {
    const debit = debits[index] as UsageDebit;
    const key = counterKey(debit.customerId, debit.periodStart);
    const total = (totals.get(key) ?? 0) + debit.cost;
    totals.set(key, total);
    prefix.push(total);
    if (plan.routes.get(index) === null) {
      unlimited.set(key, { customerId: debit.customerId, periodStart: debit.periodStart, used: total });
    }
  }
  const offsets = plan.admitted.map((index, position) => {
    const debit = debits[index] as UsageDebit;
    return (prefix[position] as number) - (totals.get(counterKey(debit.customerId, debit.periodStart)) ?? 0);
  });
  const spends = [...plan.spends];
  const counters = [...unlimited.values()];
  const admitted = plan.admitted.map((index) => debits[index] as UsageDebit);
  const newEventId = batchEventIds();
  const ids = admitted.map(() => newEventId());
  const result = await client.query<{ customer_id: string | null; period_start: number; used: number }>({
    name: 'tollgate_write_lease_debits',
    text: writeLeaseDebitsStatement,
    values: [
      spends.map(([lease]) => lease.id),
      spends.map(([, units]) => units),
      recordedAt,
      recordedAt + ttlMs,
      counters.map((counter) => counter.customerId),
      counters.map((counter) => counter.periodStart),
      counters.map((counter) => counter.used),
      recordedAt,
      ids,
      admitted.map((debit) => debit.customerId),
      admitted.map((debit) => debit.periodStart),
      admitted.map((debit) => debit.operation),
      admitted.map((debit) => debit.quantity),
      admitted.map((debit) => debit.cost),
      offsets,
      admitted.map((debit) => debit.requestHash),
      admitted.map((debit) => debit.occurredAt),
      admitted.map((debit) => canonicalMetadata(debit.metadata)),
      admitted.map((debit) => debit.keyId ?? null),
      spends.length,
    ],
  });
  const usedNow = new Map<string, number>();
  for (const row of result.rows) {
    if (row.customer_id !== null)
      usedNow.set(counterKey(row.customer_id, Number(row.period_start)), row.used);
  }
  const outcomes = new Map<number, UsageOutcome>();
  plan.admitted.forEach((index, position) => {
    const debit = debits[index] as UsageDebit;
    const used =
      (usedNow.get(counterKey(debit.customerId, debit.periodStart)) ?? 0) + (offsets[position] as number);
    outcomes.set(index, {
      kind: 'recorded',
      eventId: ids[position] as string,
      used,
      overage: 0,
      replayed: false,
    });
  });
  return outcomes;
}
