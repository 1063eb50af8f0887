/**
 * Quota leases on PostgreSQL against the exact path (docs/decisions/017): leases off (`leaseTtlMs: 0`,
 * every batch decided under the counter rows' locks) and on, in the same run, alternating.
 *
 * - One hot customer (default): 4 processes, each with 4 batches of 20 debits in flight, commit
 *   against one customer's counter; prints debits/s and the ratio. The quota is far above what a run
 *   records (as in the other bench lines), so slices are large; exactness at the limit is what the
 *   tests check (src/store/postgres-quota-leases.test.ts). Each run must record every debit.
 * - `BENCH_SCENARIO=limit`: the same, with the quota 200 debits short of what the run sends, so the
 *   last stretch is decided near and at the limit (slices shrinking, refusals reclaiming leases in the
 *   way). Each run must record exactly the limit.
 * - `BENCH_SCENARIO=customers`: the 1,000-customer bench line without HTTP. `commitUsage` paced to
 *   `BENCH_RATE` debits/s (default 500: each customer every 2 s, the lease idle time) in batches of 6
 *   customers in rotation, 4 in flight, over 1M stored usage rows; prints batch latency, round trips
 *   per batch by statement, and PostgreSQL's CPU per debit (the backends serving this store, read
 *   from /proc: a database on this machine only).
 *
 * Run: `npx tsx bench/postgres-leases.ts` (TOLLGATE_TEST_POSTGRES_URL or the local test database).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { calendarMonth } from '../src/core/periods.js';
import type { UsageDebit } from '../src/core/ports.js';
import type { WorkerTask } from '../src/store/concurrency-worker.js';
import { createPostgresStore } from '../src/store/postgres-store.js';
import { dropSchema, newSchemaName, postgresTestUrl } from '../src/store/test-databases.js';
import { runProcesses } from '../src/store/worker-processes.js';
import { BENCH_CREDIT_QUOTA, BENCH_OPERATION, BENCH_OPERATION_COST } from './bench-catalog.js';
import { makeBenchCustomers } from './bench-customers.js';
import { prepareTollgateStore } from './tollgate-fixture.js';

const PERIOD = Date.UTC(2026, 0, 1);
const PROCESSES = 4;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 400); // per process, 4 in flight at a time
const BATCH_SIZE = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const debits = PROCESSES * BATCHES * BATCH_SIZE;
const nearLimit = process.env.BENCH_SCENARIO === 'limit';
// Milli-credits, every debit costs 1 (so a credit's worth is 1,000 debits): far above the run, or
// 200 debits short of it.
const limit = nearLimit ? debits - 200 : 1_000 * debits;
const admitted = Math.min(limit, debits);

const schema = newSchemaName();
const store = createPostgresStore({ connectionString: postgresTestUrl, schema });
await store.migrate();

async function run(leaseTtlMs: number): Promise<number> {
  const customer = await store.createCustomer({
    id: `cus_${Math.random().toString(36).slice(2)}`,
    plan: 'free',
    createdAt: PERIOD,
  });
  const task: WorkerTask = {
    databaseUrl: postgresTestUrl,
    schema,
    mode: 'debit',
    customerId: customer.id,
    batches: BATCHES,
    waves: BATCHES / 4,
    batchSize: BATCH_SIZE,
    leaseTtlMs,
    debit: { periodStart: PERIOD, cost: 1, limit, included: limit, idempotencyKey: null, requestHash: null },
  };
  const summaries = await runProcesses(Array.from({ length: PROCESSES }, () => task));
  const recorded = summaries.reduce((sum, summary) => sum + summary.recorded, 0);
  if (recorded !== admitted) throw new Error(`recorded ${recorded} of ${debits}, not ${admitted}`);
  const slowest = Math.max(...summaries.map((summary) => summary.commitMs ?? 0));
  return debits / (slowest / 1000);
}

/** Statements sent by this process's pg clients, by prepared-statement name (or first words). */
const statements = new Map<string, number>();
const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  const query = args[0] as string | { name?: string; text?: string };
  const name = typeof query === 'string' ? query.split(' ')[0] : (query.name ?? 'unnamed');
  statements.set(name ?? '', (statements.get(name ?? '') ?? 0) + 1);
  return clientQuery.apply(this, args);
};

/** CPU seconds used so far by the backends of connections named `application` (local database). */
async function backendSeconds(client: pg.Client, application: string): Promise<number> {
  const backends = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [application],
  );
  let ticks = 0;
  for (const { pid } of backends.rows) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
  }
  return ticks / 100;
}

async function runCustomers(client: pg.Client, leaseTtlMs: number): Promise<string> {
  const rate = Number(process.env.BENCH_RATE ?? 500);
  const size = 6;
  const now = Date.now();
  const customers = makeBenchCustomers(1_000, now);
  const periodStart = calendarMonth(now).start;
  const spec = { kind: 'postgres' as const, connectionString: postgresTestUrl, schema: newSchemaName() };
  await prepareTollgateStore(spec, { customers, usageRows: 1_000_000, now });
  const application = `tollgate_bench_${process.pid}_${leaseTtlMs}`;
  const url = new URL(postgresTestUrl);
  url.searchParams.set('application_name', application);
  const measured = createPostgresStore({ connectionString: url.toString(), schema: spec.schema, leaseTtlMs });
  let next = 0;
  const batch = (): UsageDebit[] =>
    Array.from({ length: size }, () => ({
      customerId: customers[(next++ * 7) % customers.length]?.id ?? '',
      periodStart,
      operation: BENCH_OPERATION,
      quantity: 1,
      cost: BENCH_OPERATION_COST,
      limit: BENCH_CREDIT_QUOTA,
      included: BENCH_CREDIT_QUOTA,
      idempotencyKey: null,
      requestHash: null,
      occurredAt: Date.now(),
    }));
  // Paced: a batch every size/rate seconds while fewer than 4 are in flight (else it is skipped).
  const pace = async (seconds: number) => {
    const latencies: number[] = [];
    const pending = new Set<Promise<void>>();
    const started = performance.now();
    for (let due = 0; due < seconds * 1000; due += (1000 * size) / rate) {
      const wait = started + due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (pending.size >= 4) continue;
      const sent = performance.now();
      const commit = measured.commitUsage(batch(), Date.now()).then(() => {
        latencies.push(performance.now() - sent);
        pending.delete(commit);
      });
      pending.add(commit);
    }
    await Promise.all(pending);
    return latencies;
  };
  try {
    await pace(3);
    const cpu = await backendSeconds(client, application);
    statements.clear();
    const latencies = await pace(10);
    const sent = new Map(statements);
    const used = (await backendSeconds(client, application)) - cpu;
    const batches = latencies.length;
    const mean = latencies.reduce((sum, latency) => sum + latency, 0) / batches;
    const trips = [...sent].map(([name, count]) => `${name} ${(count / batches).toFixed(2)}`);
    return `${((batches * size) / 10).toFixed(0)} debits/s, batch ${mean.toFixed(1)} ms, PostgreSQL ${((used * 1e6) / (batches * size)).toFixed(0)} µs/debit; per batch: ${trips.join(', ')}`;
  } finally {
    await measured.close();
    await dropSchema(spec.schema);
  }
}

const client = new pg.Client({ connectionString: postgresTestUrl });
await client.connect();
try {
  if (process.env.BENCH_SCENARIO === 'customers') {
    console.log(`1,000 customers, ${process.env.BENCH_RATE ?? 500} debits/s in batches of 6, 4 in flight`);
    for (let round = 0; round < ROUNDS; round++) {
      console.log(`  exact    ${await runCustomers(client, 0)}`);
      console.log(`  leases   ${await runCustomers(client, 10_000)}`);
    }
  } else {
    await runHot();
  }
} finally {
  await client.end();
  await store.close();
  await dropSchema(schema);
}

async function runHot(): Promise<void> {
  console.log(
    `${PROCESSES} processes x 4 batches of ${BATCH_SIZE} in flight, one customer, ${debits} debits` +
      (nearLimit ? `, exactly ${admitted} admitted` : ''),
  );
  const figures: Record<string, number[]> = { exact: [], leases: [] };
  for (let round = 0; round < ROUNDS; round++) {
    figures.exact?.push(await run(0));
    figures.leases?.push(await run(10_000));
  }
  const best = (values: number[] = []) => Math.max(...values);
  for (const [name, values] of Object.entries(figures)) {
    console.log(
      `  ${name.padEnd(8)} ${values.map((value) => Math.round(value).toLocaleString('en-US')).join(', ')} debits/s`,
    );
  }
  console.log(
    `  leases / exact (best of ${ROUNDS}): ${(best(figures.leases) / best(figures.exact)).toFixed(2)}`,
  );
}
