/**
 * Several instances on one hot customer, PostgreSQL (docs/decisions/017): 4 processes, each with 4
 * batches of 20 debits in flight, commit against one customer's counter with quota leases off
 * (`leaseTtlMs: 0`, every batch locks the counter row for its transaction) and on, in the same run,
 * alternating, and print debits/s and the ratio. The quota is far above what a run records (as in
 * the other bench lines), so slices are large; exactness at the limit is what the tests check
 * (src/store/postgres-quota-leases.test.ts). Each run must record every debit.
 *
 * Run: `npx tsx bench/postgres-leases.ts` (TOLLGATE_TEST_POSTGRES_URL or the local test database).
 */
import pg from 'pg';
import type { WorkerTask } from '../src/store/concurrency-worker.js';
import { createPostgresStore } from '../src/store/postgres-store.js';
import { dropSchema, newSchemaName, postgresTestUrl } from '../src/store/test-databases.js';
import { runProcesses } from '../src/store/worker-processes.js';

const PERIOD = Date.UTC(2026, 0, 1);
const PROCESSES = 4;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 400); // per process, 4 in flight at a time
const BATCH_SIZE = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const debits = PROCESSES * BATCHES * BATCH_SIZE;
const limit = 1_000 * debits; // milli-credits: every debit costs 1

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
  if (recorded !== debits) throw new Error(`recorded ${recorded} of ${debits}`);
  const slowest = Math.max(...summaries.map((summary) => summary.commitMs ?? 0));
  return debits / (slowest / 1000);
}

const client = new pg.Client({ connectionString: postgresTestUrl });
await client.connect();
try {
  console.log(
    `${PROCESSES} processes x 4 batches of ${BATCH_SIZE} in flight, one customer, ${debits} debits`,
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
} finally {
  await client.end();
  await store.close();
  await dropSchema(schema);
}
