/**
 * Measures the commitUsage hot path on both databases: batches/s and events/s for group-commit
 * batches of several sizes. Not a test; run by hand:
 *   npx tsx src/store/commit-usage.bench.ts [postgres-url]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store, UsageDebit } from '../core/ports.js';
import { createPostgresStore } from './postgres-store.js';
import { createSqliteStore } from './sqlite-store.js';
import { dropSchema, newSchemaName, postgresTestUrl } from './test-databases.js';

const PERIOD = Date.UTC(2026, 0, 1);
let sequence = 0;

type Keys = 'none' | 'sequential' | 'random';

function batchOf(size: number, customers: string[], keys: Keys): UsageDebit[] {
  return Array.from({ length: size }, (_, index) => ({
    customerId: customers[index % customers.length]!,
    periodStart: PERIOD,
    operation: 'search',
    quantity: 1,
    cost: 100,
    limit: 1e15,
    included: 1e12,
    // Sequential keys land at the end of the unique index; random ones (UUIDs) anywhere in it.
    idempotencyKey: keys === 'none' ? null : keys === 'sequential' ? `req-${sequence++}` : randomUUID(),
    requestHash: keys === 'none' ? null : 'h',
    occurredAt: Date.now(),
  }));
}

async function measure(label: string, store: Store, size: number, customerCount: number, keys: Keys) {
  const customers: string[] = [];
  for (let index = 0; index < customerCount; index++) {
    const id = `cus_bench_${sequence++}`;
    await store.createCustomer({ id, plan: 'pro', createdAt: PERIOD });
    customers.push(id);
  }
  const rounds = Math.max(20, Math.min(2000, Math.round(20_000 / size)));
  const batches = Array.from({ length: rounds }, () => batchOf(size, customers, keys));
  for (const batch of batches.slice(0, 3)) await store.commitUsage(batch, Date.now()); // warm up
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const batch of batches.slice(3)) await store.commitUsage(batch, Date.now());
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const measured = rounds - 3;
  const shape = `batch ${String(size).padStart(5)} x ${String(customerCount).padStart(3)} customers, ${keys.padEnd(10)} keys`;
  console.log(
    `${label.padEnd(26)} ${shape}: ${((seconds / measured) * 1000).toFixed(2).padStart(7)} ms/batch ` +
      `(${((cpu.user + cpu.system) / 1000 / measured).toFixed(2).padStart(6)} ms Node CPU) ` +
      `${Math.round(measured / seconds)
        .toString()
        .padStart(6)} batches/s ` +
      `${Math.round((measured * size) / seconds)
        .toString()
        .padStart(8)} events/s`,
  );
}

async function suite(label: string, store: Store) {
  await store.migrate();
  await measure(label, store, 1, 1, 'none');
  await measure(label, store, 100, 10, 'sequential');
  await measure(label, store, 1000, 10, 'none');
  await measure(label, store, 1000, 10, 'sequential');
  await measure(label, store, 1000, 10, 'random');
  await measure(label, store, 1000, 1, 'sequential');
  await measure(label, store, 5000, 100, 'sequential');
  await store.close();
}

const directory = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
try {
  await suite('sqlite synchronous=NORMAL', createSqliteStore({ filename: join(directory, 'normal.db') }));
  await suite(
    'sqlite synchronous=FULL',
    createSqliteStore({ filename: join(directory, 'full.db'), synchronous: 'FULL' }),
  );
} finally {
  rmSync(directory, { recursive: true, force: true });
}

const schema = newSchemaName();
try {
  await suite(
    'postgres',
    createPostgresStore({ connectionString: process.argv[2] ?? postgresTestUrl, schema }),
  );
} finally {
  await dropSchema(schema);
}
