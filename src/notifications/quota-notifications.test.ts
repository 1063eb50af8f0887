/**
 * Quota warnings from the engine's decisions: credits, and each limited window of an operation, at 80,
 * 90 and 100 percent, once per window (a new day's window warns again), never for a replay or a denial.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../core/catalog/parse-catalog.js';
import { ManualClock } from '../core/clock.js';
import { createTollgate, type Tollgate } from '../core/tollgate.js';
import { createMemoryCounters } from '../counters/memory-counters.js';
import { createSqliteStore } from '../store/sqlite-store.js';
import { createMemoryNotifier, type MemoryNotifier } from './memory-notifier.js';
import { notifyQuotaThresholds } from './quota-notifications.js';
import { composeEmail } from './smtp-notifier.js';

const catalog = parseCatalog({
  currency: 'usd',
  default_plan: 'basic',
  operations: { video: 0, tokens: 0.001 },
  plans: {
    basic: {
      name: 'Basic',
      limits: { credits: 10, operations: { video: { day: 10, month: 100 }, tokens: { month: 10_000 } } },
    },
  },
});

describe('quota notifications', () => {
  let tollgate: Tollgate;
  let notifier: MemoryNotifier;
  let clock: ManualClock;

  beforeEach(async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    await store.migrate();
    clock = new ManualClock(Date.UTC(2026, 3, 10, 12));
    tollgate = createTollgate({ catalog, store, counters: createMemoryCounters(), clock });
    notifier = createMemoryNotifier();
    notifyQuotaThresholds(tollgate, notifier);
  });
  afterEach(async () => {
    await tollgate.close();
    await tollgate.store.close();
  });

  const sent = () =>
    notifier.notifications.map((notification) => [
      notification.type,
      notification.data.operation ?? 'credits',
      notification.data.window ?? null,
    ]);

  it('counts what is left of grants in the credit quota it warns about', async () => {
    const { id } = await tollgate.createCustomer({});
    await tollgate.grant(id, { amount: 10_000, expires: 'until_used', idempotencyKey: 'bonus' });
    // 9 of 10 plan credits would warn at 80 and 90; with 10 granted credits it is 9 of 20.
    // (tokens also warn of their own month window; only the credit warnings are looked at here)
    const credits = () => sent().filter(([, what]) => what === 'credits');
    await tollgate.consume(id, { operation: 'tokens', quantity: 9000 });
    expect(credits()).toEqual([]);
    await tollgate.grant(id, {
      operation: 'tokens',
      amount: 10_000,
      expires: 'period',
      idempotencyKey: 'tokens',
    });
    await tollgate.consume(id, { operation: 'tokens', quantity: 7000 });
    expect(credits()).toEqual([['quota_80', 'credits', null]]);
    expect(notifier.notifications.find((entry) => entry.data.operation === undefined)?.data).toMatchObject({
      used: 16_000,
      limit: 20_000,
    });
  });

  it('warns at 80, 90 and 100 percent of each operation window, once per window', async () => {
    const { id } = await tollgate.createCustomer({});
    const video = (quantity: number, idempotencyKey?: string) =>
      tollgate.consume(id, { operation: 'video', quantity, ...(idempotencyKey ? { idempotencyKey } : {}) });
    await video(7);
    expect(sent()).toEqual([]);
    await video(1, 'retry-me');
    expect(sent()).toEqual([['quota_80', 'video', 'day']]);
    await video(1, 'retry-me'); // a replay counts nothing and warns of nothing
    expect(sent()).toHaveLength(1);
    await video(2);
    expect((await video(1)).allowed).toBe(false);
    expect(sent()).toEqual([
      ['quota_80', 'video', 'day'],
      ['quota_90', 'video', 'day'],
      ['quota_100', 'video', 'day'],
    ]);
    expect(notifier.notifications[2]?.data).toEqual({
      plan: 'basic',
      operation: 'video',
      window: 'day',
      used: 10,
      limit: 10,
      windowEnd: Date.UTC(2026, 3, 11),
    });

    clock.set(Date.UTC(2026, 3, 11, 8)); // the next day: a new window warns again
    await video(9);
    expect(sent().slice(3)).toEqual([
      ['quota_80', 'video', 'day'],
      ['quota_90', 'video', 'day'],
    ]);
  });

  it('warns for the month window and for credits separately', async () => {
    const { id } = await tollgate.createCustomer({});
    await tollgate.consume(id, { operation: 'tokens', quantity: 8_000 }); // 8 of 10 credits, 8,000 of 10,000 tokens
    expect(sent()).toEqual([
      ['quota_80', 'credits', null],
      ['quota_80', 'tokens', 'month'],
    ]);
  });

  it('writes an operation warning in units, with the window end', () => {
    const email = composeEmail({
      type: 'quota_90',
      customerId: 'cus_1',
      at: Date.UTC(2026, 3, 10, 12),
      data: {
        plan: 'basic',
        operation: 'video',
        window: 'day',
        used: 9,
        limit: 10,
        windowEnd: Date.UTC(2026, 3, 11),
      },
    });
    expect(email.subject).toBe('You have used 90% of your daily video limit');
    expect(email.text).toContain('You have used 9 of 10 (video) this day.');
    expect(email.text).toContain('The window ends at 2026-04-11T00:00:00.000Z');
  });
});
