/**
 * A separate OS process for the usage log's crash tests (sqlite-usage-log-crash.test.ts), killed
 * with SIGKILL while it works.
 *
 * - `commit`: commits batches back to back on its own store, whose indexer steps between them, and
 *   prints `acked <events recorded so far>` after each commit returns.
 * - `hold-step`: runs index steps on a raw connection until a cycle is open and partly copied, then
 *   opens a transaction, runs more steps inside it, prints `inside`, and waits to be killed.
 *
 * Run as `node --import tsx sqlite-usage-log-worker.ts '<json UsageLogWorkerTask>'`.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { UsageDebit } from '../core/ports.js';
import { createSqliteStore } from './sqlite-store.js';
import { createUsageIndexSteps } from './sqlite-usage-index.js';
import type { SqliteUsageIndexOptions } from './sqlite-usage-index-options.js';

export interface UsageLogWorkerTask {
  filename: string;
  mode: 'commit' | 'hold-step';
  customers: string[];
  periodStart: number;
  /** Debits per batch (`commit`), each for the next customer in turn. */
  batch?: number;
  /** recorded_at of the first batch; each next batch 1 ms later (`commit`). */
  recordedFrom?: number;
  usageIndex?: SqliteUsageIndexOptions;
}

const task = JSON.parse(process.argv[2] ?? '{}') as UsageLogWorkerTask;

if (task.mode === 'commit') {
  const store = createSqliteStore({ filename: task.filename, usageIndex: { idleMs: 0, ...task.usageIndex } });
  await store.migrate();
  let recorded = 0;
  let next = 0;
  for (let round = 0; ; round++) {
    const debits: UsageDebit[] = Array.from({ length: task.batch ?? 1 }, () => ({
      customerId: task.customers[next++ % task.customers.length] ?? '',
      periodStart: task.periodStart,
      operation: 'search',
      quantity: 1,
      cost: 1 + (next % 5),
      limit: null,
      included: null,
      idempotencyKey: null,
      requestHash: null,
      occurredAt: task.periodStart,
    }));
    const outcomes = await store.commitUsage(debits, (task.recordedFrom ?? task.periodStart) + round);
    recorded += outcomes.filter((outcome) => outcome.kind === 'recorded').length;
    // Pipes are written synchronously on Linux: once this returns, the parent can read the line.
    process.stdout.write(`acked ${recorded}\n`);
    // As a server's event loop does between batches; the indexer's queued steps run here too.
    await new Promise((resolve) => setImmediate(resolve));
  }
} else {
  const database = new BetterSqlite3(task.filename);
  database.pragma('busy_timeout = 5000');
  const steps = createUsageIndexSteps(database, { ...task.usageIndex, chunkCustomers: 1 });
  // Committed steps: stage the cycle, then copy the first customer.
  while (steps.state().customer_cursor === null || steps.state().customer_cursor === '') steps.step(0);
  database.exec('BEGIN IMMEDIATE');
  steps.step(0);
  steps.step(0);
  process.stdout.write('inside\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
}
