/**
 * The SQLite usage log (migration 013, docs/decisions/016): reads give the same answers as the plain
 * queries over `usage_events` (the ones PostgreSQL runs) whether the events are in the unindexed
 * tail, in the index, or split between them mid-cycle; the reads stay on indexes; the migration
 * indexes existing events; and random interleavings of commits (some failing), index steps and
 * reopenings keep the index, the watermark row, the events and the counters in agreement.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { Kysely, type Migration, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store, UsageDebit } from '../core/ports.js';
import type { Database } from './database.js';
import { createHistoryQueries } from './history-queries.js';
import { createKyselyQueries } from './kysely-queries.js';
import { migrations } from './migrations/migrations.js';
import { createSqliteStore } from './sqlite-store.js';
import { createUsageIndexSteps } from './sqlite-usage-index.js';
import { auditUsageLog, indexEverything, isConsistent } from './sqlite-usage-log-checks.js';
import { type SqliteUsageReads, USAGE_READ_SQL } from './sqlite-usage-reads.js';

const P0 = Date.UTC(2026, 0, 1);
const P1 = Date.UTC(2026, 1, 1);
const FAR = Date.UTC(2027, 0, 1);
type UsageReads = SqliteUsageReads & Pick<Store, 'findUsageEvent'>;

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function newFile(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tollgate-usage-log-'));
  directories.push(directory);
  return join(directory, 'tollgate.db');
}

function debit(customerId: string, periodStart: number, extra: Partial<UsageDebit> = {}): UsageDebit {
  return {
    customerId,
    periodStart,
    operation: 'search',
    quantity: 1,
    cost: 3,
    limit: null,
    included: null,
    idempotencyKey: null,
    requestHash: null,
    occurredAt: periodStart,
    ...extra,
  };
}

/** The plain queries over usage_events, on their own connection: what the reads must answer. */
function openOracle(filename: string): { reads: UsageReads; close(): Promise<void> } {
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(filename) }) });
  return {
    reads: { ...createKyselyQueries(db), ...createHistoryQueries(db, 'sqlite') },
    close: () => db.destroy(),
  };
}

/** Every usage read, for each customer and period, paging newest first 4 at a time. */
async function readEverything(reads: UsageReads, customers: readonly string[]): Promise<unknown> {
  const answers: unknown[] = [];
  for (const customer of customers) {
    answers.push(await reads.listUsageEvents(customer, 0, FAR, 1_000));
    answers.push(await reads.listUsageEvents(customer, P1 + 3, P1 + 9, 3));
    const pages: string[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = await reads.pageUsageEvents(customer, { limit: 4, ...(after ? { after } : {}) });
      pages.push(page.events.map((event) => event.id));
      if (!page.hasMore) break;
      after = page.events.at(-1)?.id;
    }
    answers.push(pages);
    answers.push(await reads.findUsageEvent(customer, 'retry-1'));
    for (const period of [P0, P1]) {
      answers.push(await reads.sumUsageByKey(customer, period));
      answers.push(await reads.sumOperationQuantities(customer, period));
      answers.push(await reads.sumUsageEvents(customer, period));
      answers.push(await reads.usageTotals(customer, period, period + 40, 7));
    }
  }
  return answers;
}

const CUSTOMERS = ['cus_a', 'cus_b', 'cus_c'];

async function openStore(filename: string): Promise<Store> {
  // Nothing indexes on its own here: the tests move the index with explicit steps.
  const store = createSqliteStore({ filename, usageIndex: { flushRows: 1_000_000, idleMs: 0 } });
  await store.migrate();
  return store;
}

/** Batches of several customers, both periods, keys, operations and ties on recorded_at. */
async function commitMixedBatches(store: Store, from: number, count: number): Promise<void> {
  for (let round = from; round < from + count; round++) {
    const customers = round % 3 === 0 ? CUSTOMERS : CUSTOMERS.slice(0, 2);
    await store.commitUsage(
      customers.flatMap((customer, index) => [
        debit(customer, round % 4 === 0 ? P0 : P1, {
          keyId: index === 0 ? 'key_1' : null,
          operation: round % 2 === 0 ? 'search' : 'ingest',
          quantity: 1 + (round % 3),
          cost: 1 + round,
        }),
        debit(customer, P1, { keyId: 'key_2', cost: 2 }),
        ...(round === 4 ? [debit(customer, P1, { idempotencyKey: 'retry-1', requestHash: 'h' })] : []),
      ]),
      P1 + Math.floor(round / 2),
    );
  }
}

describe('SQLite usage log', () => {
  it('answers every usage read as the plain queries do: tail only, mid-cycle, indexed only, and mixed', async () => {
    const filename = newFile();
    const store = await openStore(filename);
    const side = new BetterSqlite3(filename);
    const oracle = openOracle(filename);
    try {
      for (const id of CUSTOMERS) await store.createCustomer({ id, plan: 'free', createdAt: P0 });
      await commitMixedBatches(store, 0, 24);
      const expectSame = async () =>
        expect(await readEverything(store, CUSTOMERS)).toEqual(await readEverything(oracle.reads, CUSTOMERS));

      const { events } = auditUsageLog(side);
      expect(auditUsageLog(side)).toMatchObject({ events: 114, indexed: 0 });
      await expectSame();

      // One customer per step: after staging and one copy, cus_a is indexed and the others are not.
      const steps = createUsageIndexSteps(side, { chunkCustomers: 1 });
      while (auditUsageLog(side).indexed === 0) steps.step(0);
      const midCycle = auditUsageLog(side);
      expect(midCycle.openCycle).toBe(true);
      expect(midCycle.indexed).toBeGreaterThan(0);
      expect(midCycle.indexed).toBeLessThan(midCycle.events);
      expect(isConsistent(midCycle)).toBe(true);
      await expectSame();

      while (steps.step(0) !== 'idle');
      expect(auditUsageLog(side)).toMatchObject({ events, indexed: events, openCycle: false });
      await expectSame();

      // New events on top: every page walk now crosses the watermark.
      await commitMixedBatches(store, 24, 9);
      const mixed = auditUsageLog(side);
      expect(mixed.indexed).toBe(events);
      expect(mixed.events).toBeGreaterThan(events);
      await expectSame();
      expect(isConsistent(auditUsageLog(side))).toBe(true);
    } finally {
      side.close();
      await oracle.close();
      await store.close();
    }
  });

  it('reads the indexed part through the index and the tail by seq, never scanning the event table', async () => {
    const database = new BetterSqlite3(newFile());
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
    try {
      await migrateTo(db, migrations.at(-1)?.name ?? '');
      const parameters = {
        customer: 'c',
        from: 0,
        to: 1,
        limit: 1,
        after: 'x',
        period: 0,
        bucket: 1,
        key: 'k',
      };
      for (const [name, text] of Object.entries(USAGE_READ_SQL)) {
        const plan = database
          .prepare<[typeof parameters], { detail: string }>(`EXPLAIN QUERY PLAN ${text}`)
          .all(parameters)
          .map((row) => row.detail);
        const context = `${name}:\n${plan.join('\n')}`;
        expect(
          plan.some((line) => /^SEARCH i USING PRIMARY KEY \(customer_id=\?/.test(line)),
          context,
        ).toBe(true);
        expect(
          plan.some((line) => line === 'SEARCH e USING INTEGER PRIMARY KEY (rowid>?)'),
          context,
        ).toBe(true);
        // No full pass over a table: only the subquery results are scanned.
        expect(
          plan.filter((line) => /^SCAN (?!\(subquery)/.test(line)),
          context,
        ).toEqual([]);
        // The listings follow the index order; only the short tail is sorted.
        if (name === 'listed' || name === 'newest' || name === 'newestAfter')
          expect(plan.filter((line) => line.includes('TEMP B-TREE')).length, context).toBe(1);
      }
    } finally {
      await db.destroy();
    }
  });

  it('indexes the events already stored when the migration runs, in their order', async () => {
    const filename = newFile();
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new BetterSqlite3(filename) }) });
    await migrateTo(db, '012-team-keys');
    for (const id of ['cus_a', 'cus_b'])
      await createKyselyQueries(db as Kysely<Database>).createCustomer({ id, plan: 'free', createdAt: P0 });
    const raw = new BetterSqlite3(filename);
    const insert = raw.prepare<[string, string, number]>(
      `INSERT INTO usage_events (id, customer_id, period_start, operation, quantity, cost, overage, used_after,
         occurred_at, recorded_at) VALUES (?, ?, ${P1}, 'search', 1, 5, 0, 5, ${P1}, ?)`,
    );
    for (let index = 0; index < 50; index++)
      insert.run(
        `usage_old_${String(49 - index).padStart(2, '0')}`,
        index % 3 ? 'cus_a' : 'cus_b',
        P1 + (index % 7),
      );
    raw.exec(
      `INSERT INTO usage_counters (customer_id, period_start, used, overage)
       SELECT customer_id, period_start, sum(cost), 0 FROM usage_events GROUP BY customer_id, period_start`,
    );
    const before = raw.prepare('SELECT rowid AS seq, id FROM usage_events ORDER BY rowid').all();
    raw.close();
    await db.destroy();

    const store = await openStore(filename);
    const side = new BetterSqlite3(filename);
    const oracle = openOracle(filename);
    try {
      expect(side.prepare('SELECT seq, id FROM usage_events ORDER BY seq').all()).toEqual(before);
      expect(auditUsageLog(side)).toMatchObject({
        events: 50,
        indexed: 50,
        missing: 0,
        extra: 0,
        openCycle: false,
      });
      expect(
        side
          .prepare('SELECT name FROM sqlite_master WHERE tbl_name = ? AND type = ?')
          .pluck()
          .all('usage_events', 'index'),
      ).toEqual(expect.arrayContaining(['usage_events_idempotency_key_unique']));
      expect(await readEverything(store, ['cus_a', 'cus_b'])).toEqual(
        await readEverything(oracle.reads, ['cus_a', 'cus_b']),
      );
    } finally {
      side.close();
      await oracle.close();
      await store.close();
    }
  });

  it('keeps events, counters and the index in agreement under random commits, failures, steps and restarts', async () => {
    const customer = fc.constantFrom(...CUSTOMERS, 'cus_unknown');
    const command = fc.oneof(
      {
        arbitrary: fc.record({
          kind: fc.constant('commit' as const),
          debits: fc.array(
            fc.record({
              customer,
              period: fc.constantFrom(P0, P1),
              key: fc.constantFrom(null, 'key_1', 'key_2'),
              retry: fc.constantFrom(null, 'r1', 'r2'),
              cost: fc.integer({ min: 0, max: 9 }),
            }),
            { minLength: 1, maxLength: 6 },
          ),
          advance: fc.integer({ min: 0, max: 2 }),
        }),
        weight: 5,
      },
      {
        arbitrary: fc.record({ kind: fc.constant('steps' as const), count: fc.integer({ min: 1, max: 6 }) }),
        weight: 2,
      },
      { arbitrary: fc.constant({ kind: 'reopen' as const }), weight: 1 },
    );
    const indexing = fc.record({
      flushRows: fc.integer({ min: 1, max: 40 }),
      chunkRows: fc.integer({ min: 1, max: 8 }),
      chunkCustomers: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(indexing, fc.array(command, { maxLength: 30 }), async (options, commands) => {
        const filename = newFile();
        const open = async () => {
          const store = createSqliteStore({ filename, usageIndex: { ...options, idleMs: 0 } });
          await store.migrate();
          return store;
        };
        let store = await open();
        const side = new BetterSqlite3(filename);
        side.pragma('busy_timeout = 5000');
        const steps = createUsageIndexSteps(side, options);
        let recorded = 0;
        let now = P1;
        try {
          for (const id of CUSTOMERS) await store.createCustomer({ id, plan: 'free', createdAt: P0 });
          for (const next of commands) {
            if (next.kind === 'commit') {
              now += next.advance;
              const batch = next.debits.map((entry) =>
                debit(entry.customer, entry.period, {
                  keyId: entry.key,
                  cost: entry.cost,
                  idempotencyKey: entry.retry,
                  requestHash: entry.retry && `h${entry.cost}`,
                }),
              );
              const failing = batch.some((entry) => entry.customerId === 'cus_unknown');
              try {
                const outcomes = await store.commitUsage(batch, now);
                expect(failing).toBe(false);
                recorded += outcomes.filter(
                  (outcome) => outcome.kind === 'recorded' && !outcome.replayed,
                ).length;
              } catch (error) {
                // An unknown customer's counter row fails its foreign key: the whole batch is undone.
                if (!failing) throw error;
              }
            } else if (next.kind === 'steps') {
              for (let index = 0; index < next.count; index++) steps.step(0);
            } else {
              await store.close();
              store = await open();
            }
            const audit = auditUsageLog(side);
            expect(audit.events).toBe(recorded);
            expect(isConsistent(audit), JSON.stringify(audit)).toBe(true);
          }
          const oracle = openOracle(filename);
          try {
            expect(await readEverything(store, CUSTOMERS)).toEqual(
              await readEverything(oracle.reads, CUSTOMERS),
            );
            indexEverything(side, options);
            expect(auditUsageLog(side)).toMatchObject({
              events: recorded,
              indexed: recorded,
              openCycle: false,
            });
            expect(await readEverything(store, CUSTOMERS)).toEqual(
              await readEverything(oracle.reads, CUSTOMERS),
            );
          } finally {
            await oracle.close();
          }
        } finally {
          side.close();
          await store.close();
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

async function migrateTo(db: Kysely<unknown>, name: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: {
      async getMigrations(): Promise<Record<string, Migration>> {
        return Object.fromEntries(migrations.map((migration) => [migration.name, migration]));
      },
    },
  });
  const { error } = await migrator.migrateTo(name);
  if (error !== undefined) throw error;
}
