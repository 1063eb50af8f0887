/**
 * What one group commit costs the process that writes it, outside HTTP: `Store.commitUsage` called
 * back to back with batches of distinct customers, on SQLite (NORMAL, with 0 and 1M stored rows) and
 * PostgreSQL. Prints wall time per commit and per debit, the p99 (SQLite's WAL checkpoints show up
 * there), and this process's CPU per commit (PostgreSQL's cost is mostly round trips, not the server).
 * A diagnostic for the figures `npm run bench` prints: `npx tsx bench/commit-cost.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { calendarMonth } from '../src/core/periods.js';
import type { UsageDebit } from '../src/core/ports.js';
import { BENCH_OPERATION, BENCH_OPERATION_COST } from './bench-catalog.js';
import { readBenchConfig } from './bench-config.js';
import { makeBenchCustomers } from './bench-customers.js';
import { openStore, type StoreSpec } from './store-spec.js';
import { prepareTollgateStore } from './tollgate-fixture.js';

const config = readBenchConfig();
const now = Date.now();
const customers = makeBenchCustomers(config.customers, now);
const periodStart = calendarMonth(now).start;
const directory = mkdtempSync(join(tmpdir(), 'tollgate-commit-cost-'));
const schema = `tollgate_commit_cost_${process.pid}`;

let next = 0;
function batch(size: number): UsageDebit[] {
  return Array.from({ length: size }, () => ({
    // A stride coprime with the customer count: consecutive debits belong to different customers.
    customerId: customers[(next++ * 7) % customers.length]?.id ?? '',
    periodStart,
    operation: BENCH_OPERATION,
    quantity: 1,
    cost: BENCH_OPERATION_COST,
    limit: null,
    included: null,
    idempotencyKey: null,
    requestHash: null,
    occurredAt: Date.now(),
  }));
}

async function measure(label: string, spec: StoreSpec, rows: number, sizes: number[]): Promise<void> {
  await prepareTollgateStore(spec, { customers, usageRows: rows, now });
  const store = openStore(spec);
  try {
    for (const size of sizes) {
      const commits = Math.max(50, Math.min(1_000, Math.floor(20_000 / size)));
      for (let warm = 0; warm < 20; warm++) await store.commitUsage(batch(size), Date.now());
      const times: number[] = [];
      const cpu = process.cpuUsage();
      for (let index = 0; index < commits; index++) {
        const started = performance.now();
        await store.commitUsage(batch(size), Date.now());
        times.push(performance.now() - started);
      }
      const used = process.cpuUsage(cpu);
      times.sort((a, b) => a - b);
      const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
      const p99 = times[Math.floor(times.length * 0.99)] ?? 0;
      const cpuPerCommit = (used.user + used.system) / 1000 / commits;
      console.log(
        `  ${label.padEnd(30)} batch ${String(size).padStart(4)}: ${mean.toFixed(2).padStart(6)} ms/commit` +
          ` (${((mean * 1000) / size).toFixed(1).padStart(5)} µs/debit), p99 ${p99.toFixed(2).padStart(6)} ms,` +
          ` this process's CPU ${cpuPerCommit.toFixed(2)} ms/commit`,
      );
    }
  } finally {
    await store.close();
  }
}

try {
  const sizes = [1, 10, 36, 100, 1_000];
  console.log('Store.commitUsage, back to back, batches of distinct customers');
  await measure(
    'SQLite NORMAL, 0 rows',
    { kind: 'sqlite', filename: join(directory, 'empty.db'), synchronous: 'NORMAL' },
    0,
    sizes,
  );
  await measure(
    `SQLite NORMAL, ${config.preloadRows} rows`,
    { kind: 'sqlite', filename: join(directory, 'loaded.db'), synchronous: 'NORMAL' },
    config.preloadRows,
    sizes,
  );
  await measure(
    `PostgreSQL, ${config.preloadRows} rows`,
    { kind: 'postgres', connectionString: config.postgresUrl, schema },
    config.preloadRows,
    sizes,
  );
} finally {
  rmSync(directory, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: config.postgresUrl });
  await client.connect().then(
    () => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`),
    () => undefined,
  );
  await client.end().catch(() => {});
}
