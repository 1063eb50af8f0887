/** The history queries: usage in buckets, paid invoices by month, daily revenue snapshots. */
import { describe, expect, it } from 'vitest';
import { invoice } from './billing-event-cases.js';
import { type ContractContext, debit, PERIOD, T0, unique } from './contract-context.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function describeHistoryCases(context: ContractContext): void {
  describe('usage totals', () => {
    it('sums credits and counts events per bucket, integers only, empty buckets left out', async () => {
      const { id } = await context.newCustomer();
      // Recorded on day 0 (twice), day 2 and day 5 after PERIOD; the last one falls outside [from, to).
      await context.store.commitUsage([debit(id, { cost: 100 }), debit(id, { cost: 1 })], PERIOD + HOUR);
      await context.store.commitUsage(
        [debit(id, { cost: 2500, occurredAt: PERIOD - DAY })],
        PERIOD + 2 * DAY,
      );
      await context.store.commitUsage([debit(id, { cost: 7 })], PERIOD + 5 * DAY);
      const other = await context.newCustomer();
      await context.store.commitUsage([debit(other.id, { cost: 999 })], PERIOD + HOUR);

      const days = await context.store.usageTotals(id, PERIOD, PERIOD + 5 * DAY, DAY);
      expect(days).toEqual([
        { start: PERIOD, credits: 101, events: 2 },
        { start: PERIOD + 2 * DAY, credits: 2500, events: 1 },
      ]);
      for (const bucket of days) {
        expect(Number.isInteger(bucket.credits)).toBe(true);
        expect(Number.isInteger(bucket.events)).toBe(true);
      }
      const hours = await context.store.usageTotals(id, PERIOD, PERIOD + 2 * HOUR, HOUR);
      expect(hours).toEqual([{ start: PERIOD + HOUR, credits: 101, events: 2 }]);
      expect(await context.store.usageTotals(unique('cus'), PERIOD, T0, DAY)).toEqual([]);
    });

    it('leaves out events counted in another period, even when recorded inside this one', async () => {
      const { id } = await context.newCustomer();
      // A plan change on day 1 starts a new period at PERIOD + DAY; an event recorded on day 2 was still
      // counted in the period that began at PERIOD (its counter), so the new period's buckets skip it.
      const newPeriod = PERIOD + DAY;
      await context.store.commitUsage([debit(id, { cost: 9100 })], PERIOD + 2 * DAY);
      await context.store.commitUsage([debit(id, { cost: 300, periodStart: newPeriod })], PERIOD + 2 * DAY);

      expect(await context.store.usageTotals(id, newPeriod, newPeriod + 5 * DAY, DAY)).toEqual([
        { start: newPeriod + DAY, credits: 300, events: 1 },
      ]);
      expect((await context.store.getPeriodUsage(id, newPeriod)).used).toBe(300);
    });
  });

  describe('paid invoices by month', () => {
    it('sums amount paid by the UTC month of payment, in one currency, paid ones only', async () => {
      // A currency of this test only: the suite's store is shared.
      const currency = unique('cur');
      const jan31Late = Date.UTC(2026, 0, 31, 23, 59, 59, 999);
      const feb1 = Date.UTC(2026, 1, 1);
      for (const record of [
        invoice({ currency, status: 'paid', amountPaid: 2900, paidAt: Date.UTC(2026, 0, 3) }),
        invoice({ currency, status: 'paid', amountPaid: 100, paidAt: jan31Late }),
        invoice({ currency, status: 'paid', amountPaid: 4900, paidAt: feb1 }),
        invoice({ currency, status: 'open', amountPaid: 0, paidAt: null }),
        invoice({ currency, status: 'paid', amountPaid: 5, paidAt: Date.UTC(2025, 11, 31) }),
        invoice({ currency: unique('cur'), status: 'paid', amountPaid: 77, paidAt: feb1 }),
      ])
        await context.store.upsertInvoice(record);

      expect(
        await context.store.sumPaidInvoicesByMonth(
          currency.toUpperCase(),
          Date.UTC(2026, 0, 1),
          Date.UTC(2026, 2, 1),
        ),
      ).toEqual([
        { month: '2026-01', amount: 3000 },
        { month: '2026-02', amount: 4900 },
      ]);
    });
  });

  describe('revenue snapshots', () => {
    it('upserts one snapshot per day and lists a range of days, oldest first', async () => {
      const snapshot = (day: string, mrr: number) => ({
        day,
        mrr,
        payingCustomers: 2,
        subscriptions: 3,
        byTier: { pro: 2, starter: 1 },
        updatedAt: T0,
      });
      await context.store.upsertRevenueSnapshot(snapshot('2031-03-02', 5800));
      await context.store.upsertRevenueSnapshot(snapshot('2031-03-01', 2900));
      await context.store.upsertRevenueSnapshot(snapshot('2031-03-04', 1));
      await context.store.upsertRevenueSnapshot({ ...snapshot('2031-03-02', 8700), updatedAt: T0 + 1 });

      expect(await context.store.listRevenueSnapshots('2031-03-01', '2031-03-03')).toEqual([
        snapshot('2031-03-01', 2900),
        { ...snapshot('2031-03-02', 8700), updatedAt: T0 + 1 },
      ]);
    });
  });
}
