import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';
import { describeStoreContract } from './store-contract.js';
import { openSqliteTestStore } from './test-databases.js';

describeStoreContract('sqlite (file)', openSqliteTestStore);

describeStoreContract('sqlite (:memory:)', async () => {
  const store = createSqliteStore({ filename: ':memory:' });
  await store.migrate();
  return { store, cleanup: () => store.close() };
});

// The usage reads over a log whose index moves after every commit, a few events per step: the
// contract's reads then meet every split of a customer's events between the index and the tail.
describeStoreContract('sqlite (:memory:, usage indexed behind every commit)', async () => {
  const store = createSqliteStore({
    filename: ':memory:',
    usageIndex: { flushRows: 1, chunkRows: 2, chunkCustomers: 1, idleMs: 0 },
  });
  await store.migrate();
  return { store, cleanup: () => store.close() };
});

describe('SQLite store', () => {
  it('opens the file in WAL mode with the requested synchronous level and foreign keys on', async () => {
    const handle = await openSqliteTestStore();
    try {
      await handle.store.close();
      const store = createSqliteStore({ filename: handle.filename, synchronous: 'FULL' });
      await store.migrate();
      await store.close();
      const raw = new BetterSqlite3(handle.filename, { readonly: true });
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      raw.close();
    } finally {
      await handle.cleanup().catch(() => {});
    }
  });
});

describe('SQLite store location', () => {
  it('creates the folder of a new database file', async () => {
    const handle = await openSqliteTestStore();
    try {
      const store = createSqliteStore({
        filename: join(dirname(handle.filename), 'nested', 'deeper', 'new.db'),
      });
      await store.migrate();
      await store.ping();
      await store.close();
    } finally {
      await handle.cleanup();
    }
  });
});

describe('SQLite checkpoints', () => {
  it('checkpoints from a worker: the WAL is reused from its start, nothing is lost, close stops the worker', async () => {
    const handle = await openSqliteTestStore();
    try {
      await handle.store.close();
      const store = createSqliteStore({
        filename: handle.filename,
        checkpoint: { intervalMs: 5, restartFrames: 64 },
      });
      await store.migrate();
      const customers = Array.from({ length: 40 }, (_, index) => `cus_ckpt_${index}`);
      for (const id of customers) await store.createCustomer({ id, plan: 'free', createdAt: 1 });
      const walBytes: number[] = [];
      for (let round = 0; round < 300; round++) {
        await store.commitUsage(
          customers.map((customerId) => ({
            customerId,
            periodStart: 0,
            operation: 'op',
            quantity: 1,
            cost: 7,
            limit: null,
            included: null,
            idempotencyKey: null,
            requestHash: null,
            occurredAt: round,
          })),
          round,
        );
        // A server's event loop turns between commits; so does this one, every few.
        if (round % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
        walBytes.push(statSync(`${handle.filename}-wal`).size);
      }
      // Without checkpoints these commits take ~8,000 pages (34 MB); reused from its start, the WAL
      // stays within the restart bound plus what is committed before the writer pauses.
      expect(Math.max(...walBytes)).toBeLessThan(4096 * 2000);
      await store.close();
      const reopened = createSqliteStore({ filename: handle.filename });
      for (const id of customers) {
        expect(await reopened.sumUsageEvents(id, 0)).toEqual({ cost: 2100, events: 300 });
        expect((await reopened.getPeriodUsage(id, 0)).used).toBe(2100);
      }
      await reopened.close();
      // The last connection to close checkpoints and removes the WAL: no worker kept it open.
      expect(existsSync(`${handle.filename}-wal`)).toBe(false);
    } finally {
      await handle.cleanup().catch(() => {});
    }
  });
});
