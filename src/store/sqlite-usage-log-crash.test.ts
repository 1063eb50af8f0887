/**
 * The SQLite usage log under SIGKILL (docs/decisions/016): a process killed while it commits batches
 * and runs index steps between them, or inside an index step, leaves every acknowledged event stored
 * once, counters equal to their events, and the index exactly what its watermark row says; the next
 * store resumes the cycle where the last committed step left it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UsageDebit } from '../core/ports.js';
import { createSqliteStore } from './sqlite-store.js';
import { auditUsageLog, indexEverything, isConsistent } from './sqlite-usage-log-checks.js';
import type { UsageLogWorkerTask } from './sqlite-usage-log-worker.js';

const workerPath = fileURLToPath(new URL('./sqlite-usage-log-worker.ts', import.meta.url));
const PERIOD = Date.UTC(2026, 0, 1);
const CUSTOMERS = Array.from({ length: 10 }, (_, index) => `cus_log_${index}`);

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

async function newDatabase(): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'tollgate-usage-crash-'));
  directories.push(directory);
  const filename = join(directory, 'tollgate.db');
  const store = createSqliteStore({ filename });
  await store.migrate();
  for (const id of CUSTOMERS) await store.createCustomer({ id, plan: 'free', createdAt: PERIOD });
  await store.close();
  return filename;
}

function start(task: UsageLogWorkerTask): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', workerPath, JSON.stringify(task)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return { child, lines: readLines(child) };
}

async function* readLines(child: ChildProcess): AsyncGenerator<string> {
  let buffer = '';
  for await (const chunk of child.stdout ?? []) {
    buffer += String(chunk);
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      yield buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
    }
  }
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function searchDebit(customerId: string): UsageDebit {
  return {
    customerId,
    periodStart: PERIOD,
    operation: 'search',
    quantity: 1,
    cost: 2,
    limit: null,
    included: null,
    idempotencyKey: null,
    requestHash: null,
    occurredAt: PERIOD,
  };
}

function audit(filename: string) {
  const database = new BetterSqlite3(filename);
  try {
    return auditUsageLog(database);
  } finally {
    database.close();
  }
}

describe('SQLite usage log, killed', () => {
  it('keeps every acknowledged event once, and the index what its watermark says, across kills mid-commit and mid-step', async () => {
    const filename = await newDatabase();
    let stored = 0;
    let indexed = 0;
    // Different moments in the commit/step rhythm: a step is queued after every few batches.
    for (const [round, acks] of [3, 17, 40, 71].entries()) {
      const { child, lines } = start({
        filename,
        mode: 'commit',
        customers: CUSTOMERS,
        periodStart: PERIOD,
        batch: 6,
        recordedFrom: PERIOD + round * 10_000,
        usageIndex: { flushRows: 20, chunkRows: 8, chunkCustomers: 2 },
      });
      let acked = 0;
      for (let seen = 0; seen < acks; seen++) {
        const line = await lines.next();
        acked = Number(String(line.value).split(' ')[1]);
      }
      await kill(child);
      // The child ran on while the kill was on its way: its last line is the last answer it gave.
      for (let line = await lines.next(); !line.done; line = await lines.next())
        acked = Number(String(line.value).split(' ')[1]);
      const after = audit(filename);
      expect(isConsistent(after), JSON.stringify(after)).toBe(true);
      // Acknowledged ones are all there; at most the batch in flight committed without its answer.
      expect(after.events).toBeGreaterThanOrEqual(stored + acked);
      expect(after.events).toBeLessThanOrEqual(stored + acked + 6);
      stored = after.events;
      indexed = after.indexed;
    }
    // The children's own indexers ran between their batches.
    expect(indexed).toBeGreaterThan(0);
    const database = new BetterSqlite3(filename);
    try {
      indexEverything(database);
      expect(auditUsageLog(database)).toMatchObject({
        events: stored,
        indexed: stored,
        missing: 0,
        extra: 0,
      });
    } finally {
      database.close();
    }
  }, 60_000);

  it('undoes a step killed before its commit, and the next store finishes the cycle from the cursor', async () => {
    const filename = await newDatabase();
    const store = createSqliteStore({ filename, usageIndex: { idleMs: 0 } });
    for (let round = 0; round < 30; round++) {
      await store.commitUsage(
        CUSTOMERS.map((customerId) => searchDebit(customerId)),
        PERIOD + round,
      );
    }
    await store.close();

    const { child, lines } = start({
      filename,
      mode: 'hold-step',
      customers: CUSTOMERS,
      periodStart: PERIOD,
    });
    expect((await lines.next()).value).toBe('inside');
    // Committed so far: the cycle open, the first customer copied; the steps inside the open
    // transaction copied more, uncommitted.
    const committed = audit(filename);
    expect(committed).toMatchObject({ events: 300, indexed: 30, openCycle: true });
    await kill(child);
    expect(audit(filename)).toEqual(committed);

    // A new store resumes the open cycle after its first commit, and closes it.
    const reopened = createSqliteStore({ filename, usageIndex: { flushRows: 1, idleMs: 0 } });
    try {
      await reopened.commitUsage([searchDebit('cus_log_0')], PERIOD + 100);
      await vi.waitFor(
        () => expect(audit(filename)).toMatchObject({ events: 301, indexed: 301, openCycle: false }),
        {
          timeout: 10_000,
        },
      );
      expect(isConsistent(audit(filename))).toBe(true);
      expect(await reopened.sumUsageEvents('cus_log_0', PERIOD)).toEqual({ cost: 62, events: 31 });
    } finally {
      await reopened.close();
    }
  }, 60_000);
});
