/**
 * A separate OS process for the cross-process tests (store-processes.test.ts): opens its own store on
 * the shared database, says `ready`, waits for `go` on stdin so every process fires at once, commits
 * its single-debit batches concurrently and prints a summary as one JSON line.
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
  debit?: Pick<UsageDebit, 'periodStart' | 'cost' | 'limit' | 'idempotencyKey' | 'requestHash' | 'windows'>;
}

export interface WorkerSummary {
  recorded: number;
  replayed: number;
  denied: number;
  conflicts: number;
  eventIds: string[];
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
const store = createStore(task.databaseUrl, { schema: task.schema, poolSize: 5 });
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
  const outcomes = await Promise.all(
    Array.from({ length: task.batches ?? 1 }, () => store.commitUsage([debit], Date.now())),
  );
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
await store.close();
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(0);
