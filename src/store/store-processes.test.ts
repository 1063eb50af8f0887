/**
 * Exactness across OS processes: four processes, each with its own store (its own connection pool or
 * SQLite connection) on one database, race for the same customer's credits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import type { WorkerSummary, WorkerTask } from './concurrency-worker.js';
import { dropSchema, openPostgresTestStore, openSqliteTestStore, postgresTestUrl } from './test-databases.js';
import { newRaceCustomer, runProcesses } from './worker-processes.js';

const PERIOD = Date.UTC(2026, 0, 1);

function total(summaries: WorkerSummary[], field: 'recorded' | 'replayed' | 'denied' | 'conflicts'): number {
  return summaries.reduce((sum, summary) => sum + summary[field], 0);
}

const databases = [
  {
    name: 'PostgreSQL',
    open: async () => {
      const handle = await openPostgresTestStore();
      return { ...handle, location: { databaseUrl: postgresTestUrl, schema: handle.schema } };
    },
  },
  {
    name: 'SQLite file',
    open: async () => {
      const handle = await openSqliteTestStore();
      return { ...handle, location: { databaseUrl: `sqlite:${handle.filename}` } };
    },
  },
];

for (const database of databases) {
  describe(`${database.name} shared by 4 processes`, () => {
    let store: Store;
    let location: Pick<WorkerTask, 'databaseUrl' | 'schema'>;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      const handle = await database.open();
      ({ store, location, cleanup } = handle);
    });
    afterAll(async () => {
      await cleanup?.();
    });

    const newCustomerId = (): Promise<string> => newRaceCustomer(store, PERIOD);

    it('admits exactly 100 of 1,000 racing debits, and the counter equals the sum of events', async () => {
      const customerId = await newCustomerId();
      const task: WorkerTask = {
        ...location,
        mode: 'debit',
        customerId,
        batches: 250,
        debit: { periodStart: PERIOD, cost: 1000, limit: 100_000, idempotencyKey: null, requestHash: null },
      };
      const summaries = await runProcesses([task, task, task, task]);
      expect(total(summaries, 'recorded')).toBe(100);
      expect(total(summaries, 'denied')).toBe(900);
      expect((await store.getPeriodUsage(customerId, PERIOD)).used).toBe(100_000);
      expect(await store.sumUsageEvents(customerId, PERIOD)).toEqual({ cost: 100_000, events: 100 });
    });

    it('admits exactly an operation window limit of 1,000 racing debits, counted in the same commits', async () => {
      const customerId = await newCustomerId();
      const day = Date.UTC(2026, 0, 15);
      const task: WorkerTask = {
        ...location,
        mode: 'debit',
        customerId,
        batches: 250,
        debit: {
          periodStart: PERIOD,
          cost: 0,
          limit: null,
          idempotencyKey: null,
          requestHash: null,
          windows: [
            { window: 'day', start: day, limit: 77, included: null },
            { window: 'month', start: PERIOD, limit: 100, included: null },
          ],
        },
      };
      const summaries = await runProcesses([task, task, task, task]);
      expect(total(summaries, 'recorded')).toBe(77);
      expect(total(summaries, 'denied')).toBe(923);
      const counted = await store.getWindowUsage(customerId, [
        { operation: 'search', window: 'day', start: day },
        { operation: 'search', window: 'month', start: PERIOD },
      ]);
      expect(counted.map((window) => window.used)).toEqual([77, 77]);
      expect(await store.sumOperationQuantities(customerId, PERIOD)).toEqual({ search: 77 });
    });

    it('counts a debit sent with the same idempotency key by 4 processes once', async () => {
      const customerId = await newCustomerId();
      const task: WorkerTask = {
        ...location,
        mode: 'debit',
        customerId,
        batches: 50,
        debit: { periodStart: PERIOD, cost: 1000, limit: null, idempotencyKey: 'retry-1', requestHash: 'h' },
      };
      const summaries = await runProcesses([task, task, task, task]);
      expect(total(summaries, 'recorded')).toBe(1);
      expect(total(summaries, 'replayed')).toBe(199);
      expect(new Set(summaries.flatMap((summary) => summary.eventIds)).size).toBe(1);
      expect(await store.sumUsageEvents(customerId, PERIOD)).toEqual({ cost: 1000, events: 1 });
      expect((await store.getPeriodUsage(customerId, PERIOD)).used).toBe(1000);
    });
  });
}

describe('migrations from several processes at once', () => {
  it('PostgreSQL: 4 processes migrating a fresh schema all succeed', async () => {
    const handle = await openPostgresTestStore();
    await handle.store.close();
    const schema = `${handle.schema}_fresh`;
    try {
      const task: WorkerTask = { databaseUrl: postgresTestUrl, schema, mode: 'migrate' };
      await runProcesses([task, task, task, task]);
    } finally {
      await dropSchema(schema);
      await dropSchema(handle.schema);
    }
  });

  it('SQLite: 4 processes migrating a fresh file all succeed', async () => {
    const handle = await openSqliteTestStore();
    try {
      const task: WorkerTask = { databaseUrl: `sqlite:${handle.filename}.fresh`, mode: 'migrate' };
      await runProcesses([task, task, task, task]);
    } finally {
      await handle.cleanup();
    }
  });
});
