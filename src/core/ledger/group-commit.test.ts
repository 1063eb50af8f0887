/**
 * The group committer on a real SQLite store: a batch of debits (`debitMany`) is one unit, never split
 * across transactions even past `maxBatch`, shares a transaction with single debits queued beside it,
 * gets its outcomes in order, and fails as a whole.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, openSqlite } from '../../../test/support/backends.js';
import { logCommits } from '../../../test/support/commit-log.js';
import type { Store, UsageDebit } from '../ports.js';
import { GroupCommitter } from './group-commit.js';

const NOW = Date.UTC(2026, 4, 10, 12);

describe('GroupCommitter', () => {
  let backend: Backend;
  let store: Store;
  let log: UsageDebit[][];
  const customerId = 'tgcus_group';
  /** The idempotency keys of each transaction's debits. */
  const commits = () => log.map((debits) => debits.map((debit) => debit.idempotencyKey));

  beforeEach(async () => {
    backend = await openSqlite();
    store = backend.store;
    log = logCommits(store);
    await store.createCustomer({ id: customerId, plan: 'free', createdAt: NOW });
  });

  afterEach(async () => {
    await backend.cleanup();
  });

  const debit = (key: string, cost = 1000): UsageDebit => ({
    customerId,
    periodStart: NOW - 1000,
    operation: 'capture',
    quantity: 1,
    cost,
    limit: 5000,
    included: 5000,
    idempotencyKey: key,
    requestHash: `capture:${key}`,
    occurredAt: NOW,
  });

  it('commits a batch larger than maxBatch whole, and whole batches beside it up to maxBatch', async () => {
    const committer = new GroupCommitter(store, () => NOW, { maxBatch: 3 });
    const [first, single, second] = await Promise.all([
      committer.debitMany(['a1', 'a2', 'a3', 'a4'].map((key) => debit(key, 100))),
      committer.debit(debit('s', 100)),
      committer.debitMany(['b1', 'b2'].map((key) => debit(key, 100))),
    ]);
    expect(commits()).toEqual([
      ['a1', 'a2', 'a3', 'a4'],
      ['s', 'b1', 'b2'],
    ]);
    expect(first.map((outcome) => outcome.kind)).toEqual(['recorded', 'recorded', 'recorded', 'recorded']);
    expect(single).toMatchObject({ kind: 'recorded', used: 500 });
    expect(second.map((outcome) => outcome.kind === 'recorded' && outcome.used)).toEqual([600, 700]);
  });

  it("answers a batch's debits in order, decided one after the other in its transaction", async () => {
    const committer = new GroupCommitter(store, () => NOW);
    const outcomes = await committer.debitMany([debit('x'), debit('y', 4500), debit('x'), debit('z')]);
    expect(commits()).toEqual([['x', 'y', 'x', 'z']]);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['recorded', 'denied', 'recorded', 'recorded']);
    expect(outcomes[2]).toMatchObject({ replayed: true, used: 1000 });
    expect(outcomes[3]).toMatchObject({ replayed: false, used: 2000 });
  });

  it('rejects every debit of a failed transaction, and records none of them', async () => {
    const committer = new GroupCommitter(store, () => NOW);
    const failing = store.commitUsage;
    store.commitUsage = async () => {
      throw new Error('disk full');
    };
    const batch = committer.debitMany([debit('f1'), debit('f2')]);
    const single = committer.debit(debit('f3'));
    await expect(batch).rejects.toThrow('disk full');
    await expect(single).rejects.toThrow('disk full');
    store.commitUsage = failing;
    expect((await store.getPeriodUsage(customerId, NOW - 1000)).used).toBe(0);
    expect(await committer.debitMany([])).toEqual([]);
  });
});
