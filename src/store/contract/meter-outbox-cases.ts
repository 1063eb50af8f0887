/**
 * The meter outbox: `commitUsage` adds every admitted event's overage to its (customer, window) row in
 * the same transaction, and the sender's claim / sent / failed cycle hands each closed window to one
 * sender at a time. Also the Stripe catalog ids `tollgate plans push` records.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MeterWindow, Store } from '../../core/ports.js';
import { DEFAULT_METER_WINDOW_MS } from '../meter-windows.js';
import { type ContractContext, debit, PERIOD, T0, unique } from './contract-context.js';

const HOUR = DEFAULT_METER_WINDOW_MS;
/** T0 is on an hour boundary; the commits below land inside its hour. */
const IN_HOUR = T0 + 20 * 60_000;

async function windowsOf(store: Store, customerId: string): Promise<MeterWindow[]> {
  return store.listMeterWindows({ customerId, limit: 1000 });
}

export function describeMeterOutboxCases(context: ContractContext): void {
  describe('meter outbox', () => {
    it('adds exactly the overage of admitted events to the window of the commit', async () => {
      const { id } = await context.newCustomer();
      // 3,000 included, then 1,000 each: the third debit is half overage, the next ones all of it.
      const batch = Array.from({ length: 6 }, () => debit(id, { cost: 1500, included: 3000 }));
      const outcomes = await context.store.commitUsage(batch, IN_HOUR);
      const overage = outcomes.reduce((sum, o) => sum + (o.kind === 'recorded' ? o.overage : 0), 0);
      expect(overage).toBe(6000);
      expect(await windowsOf(context.store, id)).toEqual([
        expect.objectContaining({
          customerId: id,
          meter: 'overage',
          windowStart: T0,
          windowEnd: T0 + HOUR,
          value: 6000,
          sentValue: 0,
          sendingValue: null,
          status: 'pending',
          attempts: 0,
        }),
      ]);
      // The next batch in the same hour adds to the same row; one in the next hour opens another.
      await context.store.commitUsage([debit(id, { cost: 700, included: 3000 })], IN_HOUR + 1000);
      await context.store.commitUsage([debit(id, { cost: 300, included: 3000 })], IN_HOUR + HOUR);
      expect((await windowsOf(context.store, id)).map((w) => [w.windowStart, w.value])).toEqual([
        [T0, 6700],
        [T0 + HOUR, 300],
      ]);
    });

    it('writes nothing for usage within the quota, denied usage or replays', async () => {
      const { id } = await context.newCustomer();
      await context.store.commitUsage(
        [
          debit(id, { included: 5000, limit: 6000, idempotencyKey: 'a', requestHash: 'h' }),
          debit(id, { included: 5000, limit: 6000, cost: 10_000 }),
          debit(id, { included: 5000, limit: 6000, idempotencyKey: 'a', requestHash: 'h' }),
        ],
        IN_HOUR,
      );
      expect(await windowsOf(context.store, id)).toEqual([]);
    });

    it('never starts a window before the credit period, so the event lands in its billing period', async () => {
      const { id } = await context.newCustomer();
      const periodStart = T0 + 25 * 60_000;
      await context.store.commitUsage([debit(id, { periodStart, included: 0 })], periodStart + 60_000);
      expect(await windowsOf(context.store, id)).toEqual([
        expect.objectContaining({ windowStart: periodStart, windowEnd: T0 + HOUR, value: 1000 }),
      ]);
    });

    it('leaves no outbox row when the batch is rolled back', async () => {
      const { id } = await context.newCustomer();
      const batch = [debit(id, { included: 0 }), debit(unique('cus_missing'), { included: 0 })];
      await expect(context.store.commitUsage(batch, IN_HOUR)).rejects.toThrow();
      expect(await windowsOf(context.store, id)).toEqual([]);
      expect((await context.store.getPeriodUsage(id, PERIOD)).used).toBe(0);
    });

    it('holds, per customer, the sum of its events overage (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              customer: fc.integer({ min: 0, max: 2 }),
              cost: fc.integer({ min: 0, max: 3000 }),
              hour: fc.integer({ min: 0, max: 2 }),
            }),
            { minLength: 1, maxLength: 40 },
          ),
          async (draws) => {
            const customers = await Promise.all([0, 1, 2].map(() => context.newCustomer()));
            const ids = customers.map((customer) => customer.id);
            let recorded = 0;
            // One batch per hour, in order, as group commit would write them.
            for (const hour of [0, 1, 2]) {
              const batch = draws
                .filter((draw) => draw.hour === hour)
                .map((draw) =>
                  debit(ids[draw.customer]!, { cost: draw.cost, included: 4000, limit: 20_000 }),
                );
              const outcomes = await context.store.commitUsage(batch, IN_HOUR + hour * HOUR);
              for (const outcome of outcomes) if (outcome.kind === 'recorded') recorded += outcome.overage;
            }
            let inOutbox = 0;
            for (const id of ids) {
              const windows = await windowsOf(context.store, id);
              inOutbox += windows.reduce((sum, window) => sum + window.value, 0);
              const period = await context.store.getPeriodUsage(id, PERIOD);
              expect(windows.reduce((sum, window) => sum + window.value, 0)).toBe(period.overage);
            }
            expect(inOutbox).toBe(recorded);
          },
        ),
        { numRuns: 15 },
      );
    });

    it('claims closed windows of customers with a Stripe id, once, oldest first', async () => {
      const withStripe = await context.newCustomer();
      await context.store.updateCustomer(withStripe.id, { stripeCustomerId: unique('cus'), updatedAt: T0 });
      const without = await context.newCustomer();
      for (const customer of [withStripe, without]) {
        await context.store.commitUsage([debit(customer.id, { included: 0 })], IN_HOUR);
        await context.store.commitUsage([debit(customer.id, { included: 0 })], IN_HOUR + HOUR);
      }
      const now = T0 + 2 * HOUR + 1000;
      // Only the first hour has closed by `closedBy`; only one customer has a Stripe id.
      const claimed = await claimMine(context.store, [withStripe.id, without.id], {
        now,
        closedBy: T0 + HOUR,
      });
      expect(claimed.map((w) => [w.customerId, w.windowStart, w.sendingValue])).toEqual([
        [withStripe.id, T0, 1000],
      ]);
      expect(claimed[0]?.stripeCustomerId).toMatch(/^cus_/);
      // Leased: a second claim does not get it again.
      expect(await claimMine(context.store, [withStripe.id], { now, closedBy: T0 + HOUR })).toEqual([]);
    });

    it('retries a failed window with the same amount, then marks it sent', async () => {
      const { id } = await customerWithStripeId(context);
      await context.store.commitUsage([debit(id, { included: 0, cost: 2500 })], IN_HOUR);
      const now = T0 + HOUR + 1000;
      const [first] = await claimMine(context.store, [id], { now, closedBy: now });
      expect(first?.sendingValue).toBe(2500);
      await context.store.markMeterWindowFailed(first!, 'Stripe answered 500\nstack...', now + 5000);
      expect(await claimMine(context.store, [id], { now: now + 4000, closedBy: now })).toEqual([]);
      const [again] = await claimMine(context.store, [id], { now: now + 5000, closedBy: now });
      expect(again).toMatchObject({ sendingValue: 2500, attempts: 1, lastError: 'Stripe answered 500' });
      await context.store.markMeterWindowSent(again!, now + 6000);
      expect(await windowsOf(context.store, id)).toEqual([
        expect.objectContaining({
          status: 'sent',
          value: 2500,
          sentValue: 2500,
          sendingValue: null,
          sentAt: now + 6000,
        }),
      ]);
      expect(await claimMine(context.store, [id], { now: now + 10_000, closedBy: now })).toEqual([]);
    });

    it('reports usage committed into a window after it was claimed as a further amount', async () => {
      const { id } = await customerWithStripeId(context);
      await context.store.commitUsage([debit(id, { included: 0, cost: 1000 })], IN_HOUR);
      const now = T0 + HOUR + 1000;
      const [claimed] = await claimMine(context.store, [id], { now, closedBy: now });
      // A late commit (its transaction began before the window closed) lands while the send is in flight.
      await context.store.commitUsage([debit(id, { included: 0, cost: 400 })], IN_HOUR);
      await context.store.markMeterWindowSent(claimed!, now + 10);
      const [rest] = await claimMine(context.store, [id], { now: now + 20, closedBy: now });
      expect(rest).toMatchObject({ value: 1400, sentValue: 1000, sendingValue: 1400, status: 'pending' });
      await context.store.markMeterWindowSent(rest!, now + 30);
      expect(await windowsOf(context.store, id)).toEqual([
        expect.objectContaining({ status: 'sent', value: 1400, sentValue: 1400 }),
      ]);
    });

    it('gives each window to one of several senders claiming at once', async () => {
      const another = await context.handle.openAnother?.();
      const stores = another === undefined ? [context.store, context.store] : [context.store, another];
      try {
        const ids: string[] = [];
        for (let index = 0; index < 30; index++) {
          const { id } = await customerWithStripeId(context);
          ids.push(id);
          await context.store.commitUsage([debit(id, { included: 0 })], IN_HOUR);
        }
        const now = T0 + HOUR + 1000;
        const claims = await Promise.all(
          [0, 1, 2, 3].map((index) => claimMine(stores[index % 2]!, ids, { now, closedBy: now, limit: 10 })),
        );
        const claimed = claims.flat().map((window) => window.customerId);
        expect(new Set(claimed).size).toBe(claimed.length);
      } finally {
        await another?.close();
      }
    });
  });

  describe('Stripe catalog ids', () => {
    it('saves ids per plan and kind, a later save replacing one kind only', async () => {
      const plan = unique('plan');
      await context.store.saveStripeCatalogIds(
        {
          [plan]: {
            product: 'prod_1',
            month: 'price_m1',
            year: 'price_y1',
            overage: 'price_o1',
            meter: 'mtr_1',
          },
        },
        T0,
      );
      await context.store.saveStripeCatalogIds({ [plan]: { month: 'price_m2' } }, T0 + 1);
      const ids = await context.store.getStripeCatalogIds();
      expect(ids[plan]).toEqual({
        product: 'prod_1',
        month: 'price_m2',
        year: 'price_y1',
        overage: 'price_o1',
        meter: 'mtr_1',
      });
    });
  });
}

async function customerWithStripeId(context: ContractContext) {
  const customer = await context.newCustomer();
  await context.store.updateCustomer(customer.id, { stripeCustomerId: unique('cus'), updatedAt: T0 });
  return customer;
}

/**
 * Claims, keeping only this test's customers: tests share one store, and a claim may pick rows that
 * earlier (finished) tests left; those are marked sent so no later claim picks them again.
 */
async function claimMine(
  store: Store,
  customerIds: readonly string[],
  claim: { now: number; closedBy: number; limit?: number },
): Promise<MeterWindow[]> {
  const claimed = await store.claimMeterWindows({
    now: claim.now,
    closedBy: claim.closedBy,
    limit: claim.limit ?? 1000,
    leaseMs: 60_000,
  });
  const mine: MeterWindow[] = [];
  for (const window of claimed) {
    if (customerIds.includes(window.customerId)) mine.push(window);
    else await store.markMeterWindowSent(window, claim.now);
  }
  return mine;
}
