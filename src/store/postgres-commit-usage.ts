/**
 * The PostgreSQL hot path: one group-commit batch of debits in one transaction, in a fixed number of
 * round trips whatever the batch size (each statement takes whole columns as arrays and `unnest`s
 * them). It uses a pg client from the store's pool directly: Kysely would add a compile per statement
 * and cannot express these array statements more clearly than the SQL below.
 *
 * Order inside the transaction, and why:
 *  1. insert the batch's missing counter rows (ON CONFLICT DO NOTHING), in key order;
 *  2. lock every counter row of the batch with SELECT ... FOR UPDATE, in key order (a fixed order means
 *     two batches never wait on each other in a cycle); from here no other transaction can admit
 *     usage for these (customer, period) pairs until we commit;
 *  3. read the events already stored for the batch's idempotency keys (after the locks, so a batch
 *     that committed the same key just before us is visible);
 *  4. decide with `decideDebits` (core), then insert the events and write the counters in one statement.
 * A key stored concurrently for the same customer under another period is not covered by our locks:
 * its insert is skipped (ON CONFLICT DO NOTHING), and then the whole batch is decided again, because
 * that debit is a replay and everything after it in the batch may change.
 */
import type pg from 'pg';
import { newId } from '../core/ids.js';
import {
  type CounterState,
  counterKey,
  decideDebits,
  idempotencyScope,
  type KnownEvent,
} from '../core/ledger/decide-debits.js';
import type { UsageDebit, UsageEvent, UsageOutcome } from '../core/ports.js';

const insertMissingCounters = `
  INSERT INTO usage_counters (customer_id, period_start, used, overage)
  SELECT k.customer_id, k.period_start, 0, 0
  FROM unnest($1::text[], $2::bigint[]) AS k(customer_id, period_start)
  ORDER BY k.customer_id, k.period_start
  ON CONFLICT DO NOTHING`;

const lockCounters = `
  SELECT c.customer_id, c.period_start, c.used, c.overage
  FROM usage_counters AS c
  JOIN unnest($1::text[], $2::bigint[]) AS k(customer_id, period_start)
    ON c.customer_id = k.customer_id AND c.period_start = k.period_start
  ORDER BY c.customer_id, c.period_start
  FOR UPDATE OF c`;

const selectKnownEvents = `
  SELECT e.customer_id, e.idempotency_key, e.id, e.request_hash, e.used_after, e.overage
  FROM usage_events AS e
  JOIN unnest($1::text[], $2::text[]) AS k(customer_id, idempotency_key)
    ON e.customer_id = k.customer_id AND e.idempotency_key = k.idempotency_key
  WHERE e.idempotency_key IS NOT NULL`;

// Data-modifying CTEs always run to completion; the count tells whether an event was skipped.
const writeEventsAndCounters = `
  WITH inserted AS (
    INSERT INTO usage_events (id, customer_id, period_start, operation, quantity, cost, overage, used_after,
      idempotency_key, request_hash, occurred_at, recorded_at)
    SELECT e.*, $12::bigint
    FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
      $8::bigint[], $9::text[], $10::text[], $11::bigint[])
      AS e(id, customer_id, period_start, operation, quantity, cost, overage, used_after,
        idempotency_key, request_hash, occurred_at)
    ON CONFLICT DO NOTHING
    RETURNING 1
  ), updated AS (
    UPDATE usage_counters AS c SET used = u.used, overage = u.overage
    FROM unnest($13::text[], $14::bigint[], $15::bigint[], $16::bigint[]) AS u(customer_id, period_start, used, overage)
    WHERE c.customer_id = u.customer_id AND c.period_start = u.period_start
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inserted)::int AS inserted`;

/** Deadlock and serialization failures: the transaction was rolled back and may simply run again. */
const retryableCodes = new Set(['40P01', '40001']);
const maxAttempts = 5;

interface CounterRow {
  customer_id: string;
  period_start: number;
  used: number;
  overage: number;
}

interface KnownRow {
  customer_id: string;
  idempotency_key: string;
  id: string;
  request_hash: string | null;
  used_after: number;
  overage: number;
}

export async function commitUsageOnPostgres(
  pool: pg.Pool,
  debits: readonly UsageDebit[],
  recordedAt: number,
): Promise<UsageOutcome[]> {
  if (debits.length === 0) return [];
  const pairs = distinctCounterKeys(debits);
  const scopes = distinctIdempotencyScopes(debits);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      await client.query('BEGIN');
      try {
        const outcomes = await decideAndWrite(client, debits, recordedAt, pairs, scopes);
        if (outcomes !== undefined) {
          await client.query('COMMIT');
          return outcomes;
        }
        await client.query('ROLLBACK');
        if (attempt >= maxAttempts) throw new Error('commitUsage: idempotency key race did not settle');
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        const code = (error as { code?: unknown }).code;
        if (broken !== undefined || attempt >= maxAttempts || !retryableCodes.has(String(code))) throw error;
      }
    }
  } finally {
    client.release(broken);
  }
}

/** Returns undefined when an event insert was skipped (a concurrent batch stored its key first). */
async function decideAndWrite(
  client: pg.PoolClient,
  debits: readonly UsageDebit[],
  recordedAt: number,
  pairs: { customerIds: string[]; periodStarts: number[] },
  scopes: { customerIds: string[]; keys: string[] },
): Promise<UsageOutcome[] | undefined> {
  await client.query({
    name: 'tollgate_insert_missing_counters',
    text: insertMissingCounters,
    values: [pairs.customerIds, pairs.periodStarts],
  });
  const locked = await client.query<CounterRow>({
    name: 'tollgate_lock_counters',
    text: lockCounters,
    values: [pairs.customerIds, pairs.periodStarts],
  });
  const current = new Map<string, CounterState>();
  for (const row of locked.rows) {
    current.set(counterKey(row.customer_id, row.period_start), { used: row.used, overage: row.overage });
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

  const decision = decideDebits(debits, current, known, recordedAt, () => newId('usage'));
  if (decision.events.length === 0) return decision.outcomes;

  const events = scopes.keys.length > 0 ? [...decision.events].sort(byIdempotencyScope) : decision.events;
  const counters = [...decision.counters.values()];
  const written = await client.query<{ inserted: number }>({
    name: 'tollgate_write_events_and_counters',
    text: writeEventsAndCounters,
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
    ],
  });
  return written.rows[0]?.inserted === events.length ? decision.outcomes : undefined;
}

function distinctCounterKeys(debits: readonly UsageDebit[]): {
  customerIds: string[];
  periodStarts: number[];
} {
  const seen = new Set<string>();
  const customerIds: string[] = [];
  const periodStarts: number[] = [];
  for (const debit of debits) {
    const key = counterKey(debit.customerId, debit.periodStart);
    if (seen.has(key)) continue;
    seen.add(key);
    customerIds.push(debit.customerId);
    periodStarts.push(debit.periodStart);
  }
  return { customerIds, periodStarts };
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
