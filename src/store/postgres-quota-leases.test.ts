/**
 * Quota leases on PostgreSQL (docs/decisions/017), on a real database with real processes: admission
 * stays exact across instances, a dead instance's slice comes back after the lease's TTL and is never
 * spent twice, and a holder whose lease was reclaimed fails over to the exact path. Lease times are on
 * the usage clock (`recordedAt`), which every test sets itself: nothing waits on the wall clock.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store, UsageDebit } from '../core/ports.js';
import type { WorkerTask } from './concurrency-worker.js';
import { debit as contractDebit, PERIOD, T0 as T } from './contract/contract-context.js';
import { WARM_DEBITS } from './postgres-quota-leases.js';
import { createPostgresStore } from './postgres-store.js';
import { dropSchema, newSchemaName, postgresTestUrl } from './test-databases.js';
import { newRaceCustomer, runProcesses, startWorkers } from './worker-processes.js';

const TTL = 60_000;
const CREDIT = 1_000;

const schema = newSchemaName();
const client = new pg.Client({ connectionString: postgresTestUrl });
const stores: Store[] = [];

function openStore(): Store {
  // A long idle time: a lease is given back only when a test says so (close, or its TTL).
  const store = createPostgresStore({
    connectionString: postgresTestUrl,
    schema,
    poolSize: 5,
    leaseTtlMs: TTL,
    leaseIdleMs: 600_000,
  });
  stores.push(store);
  return store;
}

let store: Store;

beforeAll(async () => {
  store = openStore();
  await store.migrate();
  await client.connect();
  await client.query(`SET search_path = ${schema}`);
});

afterAll(async () => {
  await Promise.all(stores.map((open) => open.close().catch(() => {})));
  await client.end();
  await dropSchema(schema);
});

const newCustomerId = (): Promise<string> => newRaceCustomer(store, PERIOD);

/** A worker process's task: `batches` debits of 1 credit against `limit`, on this test's schema. */
function leaseTask(customerId: string, limit: number, task: Partial<WorkerTask>): WorkerTask {
  return {
    databaseUrl: postgresTestUrl,
    schema,
    mode: 'debit',
    customerId,
    recordedAt: T,
    leaseTtlMs: TTL,
    leaseIdleMs: 600_000,
    debit: {
      periodStart: PERIOD,
      cost: CREDIT,
      limit,
      included: limit,
      idempotencyKey: null,
      requestHash: null,
    },
    ...task,
  };
}

/** A debit of `cost` against `limit`, all of it included quota. */
function debit(customerId: string, limit: number, cost = CREDIT): UsageDebit {
  return contractDebit(customerId, { cost, limit, included: limit });
}

/** The counter, its events and its lease rows, as stored. */
async function stored(customerId: string) {
  const counter = await client.query<{ used: string; leased: string }>(
    'SELECT used, leased FROM usage_counters WHERE customer_id = $1 AND period_start = $2',
    [customerId, PERIOD],
  );
  const events = await client.query<{ cost: string; count: string }>(
    'SELECT coalesce(sum(cost), 0) AS cost, count(*) AS count FROM usage_events WHERE customer_id = $1',
    [customerId],
  );
  const leases = await client.query<{ remaining: string; instance_id: string; expires_at: string }>(
    'SELECT remaining, instance_id, expires_at FROM quota_leases WHERE customer_id = $1',
    [customerId],
  );
  return {
    used: Number(counter.rows[0]?.used ?? 0),
    leased: Number(counter.rows[0]?.leased ?? 0),
    eventCost: Number(events.rows[0]?.cost),
    events: Number(events.rows[0]?.count),
    leases: leases.rows.map((row) => ({ ...row, remaining: Number(row.remaining) })),
  };
}

async function commitEach(target: Store, debits: UsageDebit[], recordedAt: number) {
  const outcomes = [];
  for (const one of debits) outcomes.push(...(await target.commitUsage([one], recordedAt)));
  return {
    recorded: outcomes.filter((outcome) => outcome.kind === 'recorded').length,
    denied: outcomes.filter((outcome) => outcome.kind === 'denied').length,
  };
}

/**
 * A customer whose counter a worker process warmed (a cold counter's debits take the exact path, the
 * WARM_DEBITS-th takes a lease), spending 1 credit of a 2-credit slice: the process is killed (SIGKILL)
 * holding the other one.
 */
async function killedHolder(limit: number): Promise<string> {
  const customerId = await newCustomerId();
  const [holder] = await startWorkers([
    leaseTask(customerId, limit, { batches: WARM_DEBITS, waves: WARM_DEBITS, hold: true }),
  ]);
  if (holder === undefined) throw new Error('no worker');
  expect((await holder.summary).recorded).toBe(WARM_DEBITS);
  const exited = new Promise((resolve) => holder.child.once('exit', resolve));
  holder.child.kill('SIGKILL');
  await exited;
  expect(await stored(customerId)).toMatchObject({ used: WARM_DEBITS * CREDIT, leased: CREDIT });
  return customerId;
}

describe('PostgreSQL quota leases', () => {
  it('grants slices that shrink with the headroom and the live leases, down to none near the limit', async () => {
    const take = async (customerId: string, instance: string) => {
      const result = await client.query<{ granted: string }>(
        'SELECT granted FROM tollgate_take_leases($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        [
          [customerId],
          [PERIOD],
          [1_000_000],
          [CREDIT],
          [4_096 * CREDIT],
          [`lease_${instance}_${customerId}`],
          T,
          T + TTL,
          instance,
        ],
      );
      return Number(result.rows[0]?.granted);
    };
    const withUsed = async (used: number) => {
      const customerId = await newCustomerId();
      await client.query(
        'INSERT INTO usage_counters (customer_id, period_start, used, overage) VALUES ($1, $2, $3, 0)',
        [customerId, PERIOD, used],
      );
      return customerId;
    };
    // Far from the limit: 1/50 of the ceiling.
    expect(await take(await withUsed(0), 'a')).toBe(20_000);
    // 40 credits left: 1/8 of them, then 1/16 of what is left for a second instance.
    const near = await withUsed(960_000);
    expect(await take(near, 'a')).toBe(5_000);
    expect(await take(near, 'b')).toBe(2_000);
    // 5 credits left: no slice (under one debit's cost once shared out), so the exact path decides.
    const last = await withUsed(995_000);
    expect(await take(last, 'a')).toBe(0);
    expect((await stored(last)).leased).toBe(0);
  });

  it('decides a counter exactly until WARM_DEBITS of its debits asked within the idle time, then leases it', async () => {
    const customerId = await newCustomerId();
    const limit = 100 * CREDIT;
    const instance = openStore();
    const cold = Array.from({ length: WARM_DEBITS - 1 }, () => debit(customerId, limit));
    expect(await commitEach(instance, cold, T)).toEqual({ recorded: WARM_DEBITS - 1, denied: 0 });
    // A customer seen now and then costs one transaction per debit, no lease taken or returned.
    expect(await stored(customerId)).toMatchObject({ leased: 0, leases: [] });
    expect(await commitEach(instance, [debit(customerId, limit)], T)).toEqual({ recorded: 1, denied: 0 });
    // The slice is 2 credits (1/50 of the limit); one is spent.
    const warm = await stored(customerId);
    expect(warm).toMatchObject({ used: WARM_DEBITS * CREDIT, leased: CREDIT });
    expect(warm.leases.map((lease) => lease.remaining)).toEqual([CREDIT]);
    await instance.close();
    expect((await stored(customerId)).leased).toBe(0);
  });

  it('admits exactly 100 of 1,000 debits racing from 4 processes, with exact used_after in commit order', async () => {
    const customerId = await newCustomerId();
    const task = leaseTask(customerId, 100 * CREDIT, { batches: 250, waves: 25 });
    const summaries = await runProcesses([task, task, task, task]);
    expect(summaries.reduce((sum, summary) => sum + summary.recorded, 0)).toBe(100);
    expect(summaries.reduce((sum, summary) => sum + summary.denied, 0)).toBe(900);
    const after = await stored(customerId);
    expect(after).toMatchObject({ used: 100 * CREDIT, eventCost: 100 * CREDIT, events: 100, leased: 0 });
    // Every process closed its store, giving back what it held.
    expect(after.leases.filter((lease) => lease.remaining > 0)).toEqual([]);
    const order = await client.query<{ used_after: string }>(
      'SELECT used_after FROM usage_events WHERE customer_id = $1 ORDER BY used_after',
      [customerId],
    );
    expect(order.rows.map((row) => Number(row.used_after))).toEqual(
      Array.from({ length: 100 }, (_, index) => (index + 1) * CREDIT),
    );
  });

  it('admits exactly the 3 credits left across 4 processes', async () => {
    const customerId = await newCustomerId();
    const limit = 100 * CREDIT;
    // 97 credits spent through this instance's leases, which it then gives back.
    const filler = openStore();
    expect(
      await commitEach(
        filler,
        Array.from({ length: 97 }, () => debit(customerId, limit)),
        T,
      ),
    ).toEqual({
      recorded: 97,
      denied: 0,
    });
    await filler.close();
    expect((await stored(customerId)).leased).toBe(0);

    const task = leaseTask(customerId, limit, { batches: 10, waves: 2 });
    const summaries = await runProcesses([task, task, task, task]);
    expect(summaries.reduce((sum, summary) => sum + summary.recorded, 0)).toBe(3);
    expect(await stored(customerId)).toMatchObject({ used: limit, eventCost: limit, events: 100, leased: 0 });
  });

  it('leaves a killed instance’s slice alone while there is room, frees it at its TTL and admits it once', async () => {
    const limit = 100 * CREDIT;
    const customerId = await killedHolder(limit);
    const dead = await stored(customerId);
    const deadInstance = dead.leases[0]?.instance_id;
    const deadLease = async () =>
      (await stored(customerId)).leases.filter((lease) => lease.instance_id === deadInstance);

    // Inside the TTL, with room to spare, the dead slice is left alone.
    const survivor = openStore();
    expect(
      await commitEach(
        survivor,
        Array.from({ length: 40 }, () => debit(customerId, limit)),
        T + TTL - 1,
      ),
    ).toEqual({ recorded: 40, denied: 0 });
    expect(await deadLease()).toEqual([expect.objectContaining({ remaining: CREDIT })]);
    // At the TTL, the next exact decision on the counter (an idempotency key takes that path) frees it.
    const keyed = { ...debit(customerId, limit), idempotencyKey: 'at-ttl', requestHash: 'h' };
    expect(await commitEach(survivor, [keyed], T + TTL)).toEqual({ recorded: 1, denied: 0 });
    expect(await deadLease()).toEqual([]);
    // The rest up to the limit, and nothing more: the freed credit is admitted once.
    const left = 100 - WARM_DEBITS - 41;
    expect(
      await commitEach(
        survivor,
        Array.from({ length: left + 5 }, () => debit(customerId, limit)),
        T + TTL,
      ),
    ).toEqual({ recorded: left, denied: 5 });
    const after = await stored(customerId);
    expect(after).toMatchObject({ used: limit, eventCost: limit, events: 100, leased: 0 });
    expect(after.leases.filter((lease) => lease.remaining > 0)).toEqual([]);
  });

  it('reclaims a killed instance’s slice inside its TTL when a debit needs it, admitting it once', async () => {
    const limit = 100 * CREDIT;
    const customerId = await killedHolder(limit);

    // Without the reclaim, the last credit would be refused until the TTL: the refusal is decided with
    // the dead slice back, so exactly the limit is admitted well inside it.
    const survivor = openStore();
    expect(
      await commitEach(
        survivor,
        Array.from({ length: 100 }, () => debit(customerId, limit)),
        T + 1,
      ),
    ).toEqual({ recorded: 100 - WARM_DEBITS, denied: WARM_DEBITS });
    const after = await stored(customerId);
    expect(after).toMatchObject({ used: limit, eventCost: limit, events: 100, leased: 0 });
    expect(after.leases).toEqual([]);
  });

  it('refuses nothing a live instance’s lease holds: the refusal reclaims it and the holder fails over', async () => {
    const customerId = await newCustomerId();
    const limit = 100 * CREDIT;
    const holder = openStore();
    const other = openStore();
    // The holder warms the counter and keeps 1 credit of its 2-credit slice.
    expect(
      await commitEach(
        holder,
        Array.from({ length: WARM_DEBITS }, () => debit(customerId, limit)),
        T,
      ),
    ).toEqual({ recorded: WARM_DEBITS, denied: 0 });
    expect(await stored(customerId)).toMatchObject({ leased: CREDIT });
    // The other instance sends more than is left; the last credit is the holder's, reclaimed.
    expect(
      await commitEach(
        other,
        Array.from({ length: 100 }, () => debit(customerId, limit)),
        T,
      ),
    ).toEqual({ recorded: 100 - WARM_DEBITS, denied: WARM_DEBITS });
    expect(await stored(customerId)).toMatchObject({ used: limit, leased: 0 });
    // The holder still believes in its credit: the write fails over to the exact path, which refuses.
    expect(await commitEach(holder, [debit(customerId, limit)], T)).toEqual({ recorded: 0, denied: 1 });
    const after = await stored(customerId);
    expect(after).toMatchObject({ used: limit, eventCost: limit, events: 100, leased: 0 });
    expect(after.leases.filter((lease) => lease.remaining > 0)).toEqual([]);
  });

  it('bills as overage only what is above the included quota, though a lease held part of it', async () => {
    const customerId = await newCustomerId();
    const included = 100 * CREDIT;
    // Overage is allowed up to 150 credits; leases are granted under the included 100.
    const billed = (): UsageDebit => ({ ...debit(customerId, 150 * CREDIT), included });
    const holder = openStore();
    const other = openStore();
    expect(
      await commitEach(
        holder,
        Array.from({ length: WARM_DEBITS }, () => billed()),
        T,
      ),
    ).toEqual({ recorded: WARM_DEBITS, denied: 0 });
    expect(await stored(customerId)).toMatchObject({ used: WARM_DEBITS * CREDIT, leased: CREDIT });
    // The other instance takes the counter to exactly the included quota: none of it is overage,
    // though the holder's credit would have counted as spent first.
    const outcomes = [];
    for (let index = 0; index < 100 - WARM_DEBITS; index++) {
      outcomes.push(...(await other.commitUsage([billed()], T)));
    }
    expect(outcomes.every((outcome) => outcome.kind === 'recorded' && outcome.overage === 0)).toBe(true);
    // The holder gives back what it still holds (nothing: it was reclaimed).
    await holder.close();
    const counter = await client.query<{ used: string; overage: string }>(
      'SELECT used, overage FROM usage_counters WHERE customer_id = $1',
      [customerId],
    );
    expect(counter.rows[0]).toMatchObject({ used: String(included), overage: '0' });
    // Past the quota, overage is billed.
    expect(await other.commitUsage([billed()], T)).toMatchObject([{ kind: 'recorded', overage: CREDIT }]);
    const events = await client.query<{ overage: string }>(
      'SELECT coalesce(sum(overage), 0) AS overage FROM usage_events WHERE customer_id = $1',
      [customerId],
    );
    expect(Number(events.rows[0]?.overage)).toBe(CREDIT);
  });

  it('keeps every counter equal to its events and within its limit, and leased equal to live leases, over random interleavings', async () => {
    const instances = [openStore(), openStore()];
    const step = fc.record({
      // Mostly the first instance alone, so the second's leftover lease sits while the first fills up.
      instance: fc.constantFrom(0, 0, 0, 0, 1),
      together: fc.constantFrom(false, false, false, true),
      advance: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 1, TTL),
      // Now and then a long run of the first customer, which takes it to its limit within a few steps.
      fill: fc.constantFrom(0, 0, 0, 8),
      costs: fc.array(
        fc.record({ customer: fc.constantFrom(0, 0, 0, 1), cost: fc.constantFrom(1, 1, 1, 2) }),
        {
          minLength: 1,
          maxLength: 12,
        },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 20, maxLength: 60 }), async (steps) => {
        const customers = [await newCustomerId(), await newCustomerId()];
        const limit = 100;
        let now = T;
        for (const { instance, together, advance, costs, fill } of steps) {
          now += advance;
          const batch = costs.map(({ customer, cost }) => debit(customers[customer] as string, limit, cost));
          for (let index = 0; index < fill; index++) batch.push(debit(customers[0] as string, limit, 1));
          // Both instances commit at once, or one alone (a lease taken, spent, reclaimed or lost).
          const committing = together ? instances : [instances[instance] as Store];
          const results = await Promise.all(committing.map((target) => target.commitUsage(batch, now)));
          const used = new Map<string, number>();
          for (const customerId of customers) {
            const counter = await stored(customerId);
            used.set(customerId, counter.used);
            expect(counter.used).toBe(counter.eventCost);
            expect(counter.used + counter.leased).toBeLessThanOrEqual(limit);
            expect(counter.leased).toBe(counter.leases.reduce((sum, lease) => sum + lease.remaining, 0));
          }
          // Nor under: a batch committed alone refuses a debit only when it no longer fits what was
          // spent, whatever the other instance's leases hold (usage only grows, so the end state tells).
          if (!together) {
            (results[0] ?? []).forEach((outcome, index) => {
              const refused = batch[index] as UsageDebit;
              if (outcome.kind === 'denied') {
                expect((used.get(refused.customerId) ?? 0) + refused.cost).toBeGreaterThan(limit);
              }
            });
          }
        }
      }),
      // Shrinking replays steps against the database for minutes: the first failing run is reported as is.
      { numRuns: 25, endOnFailure: true },
    );
  });

  it('fails a holder whose lease was reclaimed over to the exact path, spending nothing twice', async () => {
    const customerId = await newCustomerId();
    const limit = 1_000; // milli-credits; each debit costs 1, so slices are 20
    const holder = openStore();
    const other = openStore();
    // A cold counter's debits take the exact path, the WARM_DEBITS-th a lease of 20 units.
    const warming = Array.from({ length: WARM_DEBITS }, () => debit(customerId, limit, 1));
    expect(await commitEach(holder, warming, T)).toEqual({ recorded: WARM_DEBITS, denied: 0 });
    expect(await stored(customerId)).toMatchObject({ used: WARM_DEBITS, leased: 19 });

    // Another instance, whose clock is past the holder's lease, reclaims it (its first exact debit)
    // and takes its own.
    expect(await commitEach(other, warming, T + TTL)).toEqual({ recorded: WARM_DEBITS, denied: 0 });
    const reclaimed = await stored(customerId);
    expect(reclaimed.leases.map((lease) => lease.remaining)).toEqual([19]);
    expect(reclaimed).toMatchObject({ used: 2 * WARM_DEBITS, leased: 19 });

    // The holder still believes in its 19 units: its write fails and the debit is decided exactly.
    const [outcome] = await holder.commitUsage([debit(customerId, limit, 1)], T + 1);
    expect(outcome).toMatchObject({ kind: 'recorded', used: 2 * WARM_DEBITS + 1 });
    const after = await stored(customerId);
    const total = 2 * WARM_DEBITS + 1;
    expect(after).toMatchObject({ used: total, eventCost: total, events: total });
    // Every unit is either used or in exactly one live lease.
    expect(after.leased).toBe(after.leases.reduce((sum, lease) => sum + lease.remaining, 0));
    expect(after.used + after.leased).toBeLessThanOrEqual(limit);
  });
});
