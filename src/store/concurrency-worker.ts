/**
 * A separate OS process for the cross-process tests (store-processes.test.ts): opens its own store on
 * the shared database, says `ready`, waits for `go` on stdin so every process fires at once, commits
 * its single-debit batches concurrently (or in waves, one after another) and prints a summary as one
 * JSON line. With `hold` it then stays alive without closing its store, until killed.
 *
 * Run as `node --import tsx concurrency-worker.ts '<json WorkerTask>'`.
 */
import { createInterface } from 'node:readline';
import type { UsageDebit } from '../core/ports.js';
import { createStore } from './create-store.js';

export interface WorkerTask {
  databaseUrl: string;
  schema?: string;
  /** `migrate` only migrates; `debit` also commits `batches` single-debit batches. */
  mode: 'migrate' | 'debit';
  customerId?: string;
  batches?: number;
  debit?: Pick<UsageDebit, 'periodStart' | 'cost' | 'limit' | 'idempotencyKey' | 'requestHash' | 'windows'> &
    Partial<Pick<UsageDebit, 'included'>>;
  /** Commits the batches in this many waves, each waiting for the one before (default 1). */
  waves?: number;
  /** The usage clock's time every batch is stamped with (default the wall clock). */
  recordedAt?: number;
  /** PostgreSQL quota lease options of the store. */
  leaseTtlMs?: number;
  leaseIdleMs?: number;
  /** Debits per batch (default 1). */
  batchSize?: number;
  /** Stays alive after the summary, store open and leases held, until killed. */
  hold?: boolean;
}

export interface WorkerSummary {
  recorded: number;
  replayed: number;
  denied: number;
  conflicts: number;
  eventIds: string[];
  /** Time the commits took, from the first to the last answer (ms). */
  commitMs?: number;
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
const store = createStore(task.databaseUrl, {
  schema: task.schema,
  poolSize: 5,
  leaseTtlMs: task.leaseTtlMs,
  leaseIdleMs: task.leaseIdleMs,
});
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

process.stdout.write('ready\n');
await lines.next();

const summary: WorkerSummary = { recorded: 0, replayed: 0, denied: 0, conflicts: 0, eventIds: [] };
await store.migrate();
if (task.mode === 'debit' && task.customerId !== undefined && task.debit !== undefined) {
  const debit: UsageDebit = {
    customerId: task.customerId,
    operation: 'search',
    quantity: 1,
    included: null,
    occurredAt: Date.now(),
    ...task.debit,
  };
  const batch = Array.from({ length: task.batchSize ?? 1 }, () => debit);
  const waves = task.waves ?? 1;
  const started = performance.now();
  const perWave = Math.ceil((task.batches ?? 1) / waves);
  const outcomes = [];
  for (let left = task.batches ?? 1; left > 0; left -= perWave) {
    const wave = Array.from({ length: Math.min(perWave, left) }, () =>
      store.commitUsage(batch, task.recordedAt ?? Date.now()),
    );
    outcomes.push(...(await Promise.all(wave)));
  }
  summary.commitMs = performance.now() - started;
  for (const outcome of outcomes.flat()) {
    if (outcome.kind === 'denied') summary.denied++;
    else if (outcome.kind === 'conflict') summary.conflicts++;
    else {
      summary.eventIds.push(outcome.eventId);
      if (outcome.replayed) summary.replayed++;
      else summary.recorded++;
    }
  }
}
if (task.hold) {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  setInterval(() => {}, 60_000);
} else {
  await store.close();
  // Exit once the line is written: a large summary on a pipe is written asynchronously, and exiting
  // before it drains cuts it short (the parent then waits for its end forever).
  process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(0));
}
